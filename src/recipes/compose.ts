import * as path from "node:path";
import { Document, isMap, isScalar, isSeq, type Node } from "yaml";
import type { DataSourceInput } from "../data/source.js";
import type { DeviceChoice } from "../device/types.js";
import type { Language } from "../text/languages.js";
import { parseRecipe } from "./load.js";
import {
  batchSize,
  defaultEpochs,
  defaultTeacherEpochs,
  modelSizes,
  stepsPerMinute,
  vocabularyFor,
  type ModelSize,
} from "./presets.js";
import type { Recipe } from "./schema.js";

type Spec<K extends DataSourceInput["kind"]> = Extract<DataSourceInput, { kind: K }>;
export type ParallelSpec = Spec<"parallel">;

/** One new language: its training pairs and how it is tested. Paths are absolute. */
export interface LanguagePlan {
  language: Language;
  train: ParallelSpec;
  pairs: number;
  test?: ParallelSpec;
  /** The test pairs were held out of this file (and written as `train` and `test`). */
  heldOutFrom?: { file: string; pairs: number };
}

export type TeacherPlan =
  | { directory: string; stsTest?: Spec<"scored-pairs"> }
  | {
      regression: Spec<"scored-pairs">;
      classification: Spec<"labelled-pairs">;
      stsTest?: Spec<"scored-pairs">;
      rows: number;
    };

/** `dense: "teacher"`: the student's vectors are not as wide as the teacher's, so a linear layer maps them. */
export type StudentPlan = ({ directory: string } | { fresh: true }) & { dense?: "teacher" };

/** Epochs over the data, a time budget converted to steps, or steps outright. */
export type Budget = { epochs: number } | { minutes: number } | { steps: number };

export interface WizardAnswers {
  /** The recipe file to be written (absolute): relative paths in the recipe are made from its folder. */
  recipeFile: string;
  /** How the recipe file is shown in the comment that says how to run it (default: relative to itself). */
  shownFile?: string;
  languages: LanguagePlan[];
  teacher: TeacherPlan;
  student: StudentPlan;
  size: ModelSize;
  budget?: Budget;
  device: DeviceChoice;
  seed?: number;
}

export interface ComposedRecipe {
  text: string;
  recipe: Recipe;
}

/** The recipe a set of wizard answers describes, as commented YAML, checked against the schema. */
export function composeRecipe(answers: WizardAnswers): ComposedRecipe {
  const directory = path.dirname(answers.recipeFile);
  const relative = (file: string) => relativeWhereShared(directory, file);
  const source = <S extends DataSourceInput>(spec: S): S => relativeSource(spec, relative);
  const name = recipeName(answers.recipeFile);
  const codes = answers.languages.map((plan) => plan.language.code);
  const size = modelSizes[answers.size];
  const trainsTeacher = "regression" in answers.teacher;
  const pairs = answers.languages.reduce((sum, plan) => sum + plan.pairs, 0);
  const budget = trainingBudget(answers, pairs);
  const comments = new Map<string, string>();
  const note = (key: string, text: string) => comments.set(key, text);

  const steps: Record<string, unknown>[] = [];
  const teacher = answers.teacher;
  if ("regression" in teacher) {
    steps.push({
      step: "train-teacher",
      name: "teacher",
      model: {
        fresh: freshModel(answers.size, { size: 3000, minFrequency: 2 }, true),
        pooling: "mean",
        maxSeqLength: size.maxSeqLength,
      },
      objectives: [
        { type: "classification", data: source(teacher.classification) },
        { type: "regression", data: source(teacher.regression) },
      ],
      training: { ...budget.teacher, batchSize, learningRate: 1e-4, warmupRatio: 0.1 },
      evaluation: teacher.stsTest === undefined ? [] : [{ task: "sts", name: "en-sts", data: source(teacher.stsTest) }],
    });
    note(
      `steps.${steps.length - 1}`,
      `The teacher: an English SBERT trained from scratch (${answers.size}), Siamese, on NLI (softmax over\n` +
        `(u, v, |u-v|)) and STS (cosine regression) in turn.\nBudget: ${budget.teacherNote}.`,
    );
  }
  if ("directory" in teacher && teacher.stsTest !== undefined) {
    steps.push({
      step: "evaluate",
      name: "teacher",
      model: relative(teacher.directory),
      tasks: [{ task: "sts", name: "en-sts", data: source(teacher.stsTest) }],
    });
    note(
      `steps.${steps.length - 1}`,
      "The teacher's own English STS: the mark the student's en-sts below is read against.",
    );
  }
  const studentIndex = steps.length;
  const segment = answers.languages.filter((plan) => plan.language.segment).map((plan) => plan.language.code);
  const fresh = "fresh" in answers.student;
  const vocabulary = vocabularyFor(pairs);
  const teacherReference = "directory" in teacher ? relative(teacher.directory) : "teacher";
  steps.push({
    step: "distill",
    name: "student",
    teacher: teacherReference,
    student: {
      ...(fresh
        ? { fresh: freshModel(answers.size, vocabulary, false) }
        : { from: relative((answers.student as { directory: string }).directory) }),
      pooling: "mean",
      // A pretrained model keeps its own length: it may have fewer position embeddings than the preset.
      ...(fresh ? { maxSeqLength: size.maxSeqLength } : {}),
      ...(fresh && segment.length > 0 ? { segment } : {}),
      ...(answers.student.dense === "teacher" ? { dense: "teacher" } : {}),
    },
    data: answers.languages.map((plan) => source(plan.train)),
    training: { ...budget.student, batchSize, learningRate: fresh ? 1e-3 : 2e-5, warmupRatio: 0.1 },
    evaluation: answers.languages
      .flatMap((plan) => studentTasks(plan, teacherReference, source))
      .concat(
        // Whether the student's English got worse: scored whenever English STS data is at hand.
        teacher.stsTest !== undefined ? [{ task: "sts", name: "en-sts", data: source(teacher.stsTest) }] : [],
      ),
  });
  note(`steps.${studentIndex}`, studentComment(answers, vocabulary, segment, budget.studentNote));
  steps.push({
    step: "export",
    name: "export",
    model: "student",
    output: "student",
    languages: ["en", ...answers.languages.map((plan) => plan.language.code)],
  });
  note(
    `steps.${studentIndex + 1}`,
    "A sentence-transformers directory (runs/<name>/student) that Python loads as it is.",
  );

  const header = [
    `Written by babelbed wizard: a student that reads English and ${answers.languages.map((plan) => `${plan.language.name} (${plan.language.code})`).join(", ")},`,
    `by multilingual knowledge distillation (Reimers & Gurevych 2020)${trainsTeacher ? " from a teacher trained here" : ""}.`,
    ...answers.languages.flatMap((plan) =>
      plan.heldOutFrom === undefined
        ? []
        : [
            `${plan.language.code}: ${plan.pairs} training and ${plan.heldOutFrom.pairs} test pairs held out of ${plan.heldOutFrom.file}`,
          ],
    ),
    `Run it with: babelbed run ${answers.shownFile ?? relative(answers.recipeFile)}`,
  ];
  const recipe = {
    name,
    description: `English → ${codes.join(", ")} student (babelbed wizard)`,
    seed: answers.seed ?? 42,
    device: answers.device,
    steps,
  };
  // The teacher's STS test set appears twice; anchors and aliases would only puzzle a reader.
  const document = new Document(recipe, { aliasDuplicateObjects: false });
  document.commentBefore = header.map((line) => ` ${line}`).join("\n");
  const device = document.get("device", true) as Node;
  device.comment =
    answers.device === "auto"
      ? " gpu, then native cpu, then wasm, then js: the first that works"
      : " as asked; --device on babelbed run overrides it";
  decorate(document, comments);
  const text = document.toString({ lineWidth: 0, flowCollectionPadding: false });
  return { text, recipe: parseRecipe(text, answers.recipeFile) };
}

/** The recipe's name from its file name, reduced to the characters a name may hold. */
export function recipeName(file: string): string {
  const base = path.basename(file).replace(/\.ya?ml$/i, "");
  return base.replace(/[^A-Za-z0-9._-]+/g, "-") || "wizard";
}

function freshModel(size: ModelSize, vocabulary: { size: number; minFrequency: number }, lowercase: boolean) {
  const { hiddenSize, layers, heads, intermediateSize } = modelSizes[size];
  return {
    hiddenSize,
    layers,
    heads,
    intermediateSize,
    dropout: 0.1,
    vocabulary: { size: vocabulary.size, lowercase, minFrequency: vocabulary.minFrequency },
  };
}

function studentTasks(
  plan: LanguagePlan,
  teacher: string,
  source: <S extends DataSourceInput>(spec: S) => S,
): Record<string, unknown>[] {
  if (plan.test === undefined) return [];
  const code = plan.language.code;
  const retrieval: Record<string, unknown> = { task: "retrieval", name: `en-${code}`, data: source(plan.test) };
  // A held-out split of one corpus can repeat a training pair verbatim; such pairs say nothing about generalising.
  if (plan.heldOutFrom !== undefined) retrieval.excludePairsIn = [source(plan.train)];
  return [retrieval, { task: "mse", name: `en-${code}-mse`, teacher, data: source(plan.test) }];
}

interface StepBudget {
  teacher: Record<string, number>;
  student: Record<string, number>;
  teacherNote: string;
  studentNote: string;
}

function trainingBudget(answers: WizardAnswers, pairs: number): StepBudget {
  const budget = answers.budget;
  const teacherRows = "rows" in answers.teacher ? answers.teacher.rows : 0;
  const teacherEpochs = defaultTeacherEpochs(teacherRows);
  if (budget !== undefined && "steps" in budget) {
    const note = `${budget.steps} steps, as asked`;
    return {
      teacher: { maxSteps: budget.steps },
      student: { maxSteps: budget.steps },
      teacherNote: note,
      studentNote: note,
    };
  }
  if (budget !== undefined && "minutes" in budget) {
    const rate = stepsPerMinute(answers.size, answers.device);
    // Distillation is the point of the recipe: it gets two thirds of the time when a teacher is trained too.
    const share = "rows" in answers.teacher ? { teacher: 1 / 3, student: 2 / 3 } : { teacher: 0, student: 1 };
    const steps = (minutes: number) => Math.max(1, Math.floor(minutes * rate));
    // maxMinutes holds the budget whatever the machine's speed; maxSteps, from the rate, lets the learning rate decay within it.
    const limit = (minutes: number) => ({
      maxSteps: steps(minutes),
      maxMinutes: Math.max(0.1, Math.round(minutes * 10) / 10),
    });
    const why = `maxSteps at about ${rate} steps a minute for a ${answers.size} model on ${answers.device === "auto" ? "wasm (the slowest likely backend)" : answers.device}, maxMinutes stops it on time on a slower machine; evaluation and vocabulary training come on top`;
    return {
      teacher: limit(budget.minutes * share.teacher),
      student: limit(budget.minutes * share.student),
      teacherNote: `a third of ${budget.minutes} minutes, ${why}`,
      studentNote: `${"rows" in answers.teacher ? "two thirds" : "all"} of ${budget.minutes} minutes, ${why}`,
    };
  }
  const epochs = budget?.epochs ?? defaultEpochs(pairs);
  return {
    teacher: { epochs: teacherEpochs },
    student: { epochs },
    teacherNote: `${teacherEpochs} epochs over ${teacherRows} rows`,
    studentNote:
      budget === undefined ? `${epochs} epochs, the default for ${pairs} pairs` : `${epochs} epochs, as asked`,
  };
}

function studentComment(
  answers: WizardAnswers,
  vocabulary: { size: number },
  segment: string[],
  budgetNote: string,
): string {
  const lines: string[] = [];
  if ("fresh" in answers.student) {
    lines.push(
      `The student: a fresh ${answers.size} encoder with a ${vocabulary.size}-token WordPiece vocabulary trained on the`,
    );
    lines.push(
      "English and translated sides of the parallel data, case kept (the teacher lower-cases; it only reads English).",
    );
  } else {
    lines.push(
      "The student: a pretrained model whose own tokenizer is kept; learning rate 2e-5 so it is not overwritten.",
    );
  }
  lines.push(
    "It learns student(English) ≈ teacher(English) and student(translation) ≈ teacher(English); teacher vectors are cached.",
  );
  if (answers.student.dense === "teacher")
    lines.push(
      "Its vectors are not as wide as the teacher's: dense: teacher adds a linear layer to the teacher's width.",
    );
  for (const plan of answers.languages) {
    if (plan.language.note !== undefined) lines.push(`${plan.language.code}: ${plan.language.note}.`);
    if (plan.train.joinSpacedCjk)
      lines.push(
        `${plan.language.code}: the corpus puts spaces between words (KyTea/MeCab): joinSpacedCjk removes them.`,
      );
  }
  if (!("fresh" in answers.student) && segment.length > 0) {
    lines.push(
      `segment: [${segment.join(", ")}] is left out: add it if this model was trained on kuromoji-segmented text.`,
    );
  }
  lines.push(`Budget: ${budgetNote}.`);
  return lines.join("\n");
}

/**
 * A path relative to the recipe's folder, so that a clone or a copied project keeps working;
 * absolute when the two share nothing but the filesystem root (/tmp vs /home).
 */
export function relativeWhereShared(directory: string, file: string): string {
  const top = (where: string) =>
    path
      .resolve(where)
      .split(path.sep)
      .filter((part) => part.length > 0)[0];
  if (top(directory) !== top(file)) return path.resolve(file);
  return path.relative(directory, file).split(path.sep).join("/") || ".";
}

/** A data source with its paths relative to the recipe's folder, as recipes resolve them. */
function relativeSource<S extends DataSourceInput>(spec: S, relative: (file: string) => string): S {
  const copy = { ...spec } as S & { file?: string; files?: { source: string; target: string } };
  if (copy.file !== undefined) copy.file = relative(copy.file);
  if (copy.files !== undefined)
    copy.files = { source: relative(copy.files.source), target: relative(copy.files.target) };
  return copy;
}

/** Comments before the nodes named by dotted paths, blank lines between steps, and the flow style of the shipped recipes. */
function decorate(document: Document, comments: Map<string, string>): void {
  for (const [key, text] of comments) {
    const node = document.getIn(
      key.split(".").map((part) => (/^\d+$/.test(part) ? Number(part) : part)),
      true,
    ) as Node | undefined;
    if (node !== undefined)
      node.commentBefore = text
        .split("\n")
        .map((line) => ` ${line}`)
        .join("\n");
  }
  const steps = document.get("steps", true);
  if (!isSeq(steps) || !isMap(document.contents)) return;
  const stepsKey = document.contents.items.find((pair) => isScalar(pair.key) && pair.key.value === "steps")?.key;
  if (isScalar(stepsKey)) stepsKey.spaceBefore = true;
  for (const [index, item] of steps.items.entries()) {
    if (!isMap(item)) continue;
    if (index > 0) (item as Node).spaceBefore = true;
    flowAt(item, ["student", "segment"]);
    flowAt(item, ["model", "fresh"]);
    flowAt(item, ["student", "fresh"]);
    flowAt(item, ["training"]);
    for (const key of ["objectives", "evaluation"]) {
      const list = item.get(key, true);
      if (!isSeq(list)) continue;
      for (const entry of list.items) {
        flowAt(entry, ["data"]);
        const excluded = isMap(entry) ? entry.get("excludePairsIn", true) : undefined;
        if (isSeq(excluded)) for (const source of excluded.items) if (isMap(source)) source.flow = true;
      }
    }
    const data = item.get("data", true);
    if (isSeq(data)) for (const entry of data.items) if (isMap(entry)) entry.flow = true;
  }
}

function flowAt(node: unknown, keys: string[]): void {
  let current = node;
  for (const key of keys) current = isMap(current) ? current.get(key, true) : undefined;
  if (isMap(current) || isSeq(current)) current.flow = true;
}
