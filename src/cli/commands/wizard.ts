import { InvalidArgumentError, Option, type Command } from "commander";
import { promises as fs } from "node:fs";
import * as path from "node:path";
import { deviceChoices } from "../../device/types.js";
import {
  composeRecipe,
  recipeName,
  relativeWhereShared,
  type Budget,
  type LanguagePlan,
} from "../../recipes/compose.js";
import { parseLanguages, type Language } from "../../text/languages.js";
import { loadRecipe } from "../../recipes/load.js";
import { defaultEpochs, modelSizeNames, type ModelSize } from "../../recipes/presets.js";
import { checkModelWidths } from "../../recipes/widths.js";
import { BabelbedError } from "../../util/errors.js";
import { exists, writeFileAtomic } from "../../util/files.js";
import { parseDevice, parsePositiveInteger, type DeviceChoice } from "../options.js";
import { Asker } from "../wizard/ask.js";
import { writeHeldOutSplit } from "../wizard/data.js";
import { askStudent, askTeacher, sizeStudent } from "../wizard/models.js";
import { askEvaluation, askParallel, type EvaluationAnswer } from "../wizard/parallel.js";
import { runRecipeFile } from "./run.js";

interface WizardFlags {
  yes?: boolean;
  lang?: string;
  parallel?: string[];
  parallelTarget?: string[];
  columns?: string[];
  header?: boolean;
  joinSpacedCjk?: boolean;
  skipBadRows?: boolean;
  eval?: string[];
  evalTarget?: string[];
  heldOut?: string[];
  teacher?: string;
  teacherSts?: string;
  teacherNli?: string;
  student?: string;
  size?: ModelSize;
  epochs?: number;
  minutes?: number;
  steps?: number;
  device?: DeviceChoice;
  output?: string;
  force?: boolean;
  run?: boolean;
}

const seed = 42;

const example = `
Per-language flags (--parallel, --parallel-target, --columns, --eval, --eval-target, --held-out)
may be repeated, once per language, in the order of --lang. Without a terminal, every answer
must come from a flag or, with --yes, from its default.

Examples:
  babelbed wizard
  babelbed wizard --yes --lang ja --parallel datasets/en-ja/train.tsv --held-out 50 --size tiny --steps 40 --no-run
  babelbed wizard --lang Japanese --parallel train.en --parallel-target train.ja --join-spaced-cjk --minutes 30
`;

const collect = (value: string, previous: string[] = []) => [...previous, value];

function positiveNumber(value: string): number {
  const number = Number(value);
  if (!Number.isFinite(number) || number <= 0) throw new InvalidArgumentError("expected a positive number");
  return number;
}

export function registerWizard(program: Command): void {
  program
    .command("wizard")
    .description(
      "Answer a few questions (or pass flags) and get a commented recipe that distills a student for a new language.",
    )
    .option("-y, --yes", "accept the default of every question no flag answers")
    .option("--lang <languages>", "target language(s): ISO 639-1 codes or English names, comma-separated")
    .option(
      "--parallel <file>",
      "parallel data: a tsv/csv of pairs, or the English side of two line-aligned files",
      collect,
    )
    .option("--parallel-target <file>", "the translated side, line-aligned with --parallel", collect)
    .option(
      "--columns <source=X,target=Y>",
      "csv/tsv: the English and translated columns (0-based index or header name)",
      collect,
    )
    .option("--header", "csv/tsv: the first line names the columns (default: guessed from the first line)")
    .option("--no-header", "csv/tsv: the first line is a pair")
    .option("--join-spaced-cjk", "remove spaces between CJK characters (KyTea/MeCab-segmented text)")
    .option("--no-join-spaced-cjk", "keep them")
    .option(
      "--skip-bad-rows",
      "skip rows of the parallel data that do not parse (onBadRows: skip), each reported when the recipe runs",
    )
    .option("--eval <file>", "a held-out evaluation file of pairs", collect)
    .option("--eval-target <file>", "the translated side, line-aligned with --eval", collect)
    .option(
      "--held-out <n>",
      "hold out n pairs of the parallel data for evaluation (default: 10% of the pairs, at most 1000)",
      collect,
    )
    .option("--teacher <dir|train>", "an existing model directory, or train to train one (default: train)")
    .option("--teacher-sts <file>", "STS file the teacher trains on (default datasets/en-sts/train.tsv)")
    .option("--teacher-nli <file>", "NLI file the teacher trains on (default datasets/en-nli/train.tsv)")
    .option("--student <dir|fresh>", "a Hugging Face model directory, or fresh for a new model (default: fresh)")
    .addOption(new Option("--size <size>", "fresh models' size (default: small)").choices(modelSizeNames))
    .option(
      "--epochs <n>",
      "passes over the parallel data (default: 20 under 5,000 pairs, 3 under 50,000, else 1)",
      positiveNumber,
    )
    .option(
      "--minutes <m>",
      "a time budget for the whole recipe: a teacher to train gets a third and the student two thirds (the student all of it otherwise), each as maxMinutes with maxSteps estimated from it",
      positiveNumber,
    )
    .option("--steps <n>", "training steps for each trained model", parsePositiveInteger)
    .option("--device <device>", "the recipe's device: auto, gpu, cpu, wasm, js (default: auto)", parseDevice)
    .option("--output <file>", "the recipe to write (default recipes/<lang>.yaml)")
    .option("--force", "overwrite the recipe (and its split files) if they exist")
    .option("--run", "run the recipe once written")
    .option("--no-run", "only write it (default with --yes)")
    .addHelpText("after", example)
    .action(async (flags: WizardFlags) => wizard(flags));
}

const say = (text: string) => process.stdout.write(`${text}\n`);
const shown = (file: string) => relativeWhereShared(process.cwd(), file);

async function wizard(flags: WizardFlags): Promise<void> {
  const asker = new Asker(flags.yes ?? false);
  const languages = await askLanguages(asker, flags.lang);
  for (const language of languages) if (language.note !== undefined) say(`${language.name}: ${language.note}.`);
  const data: { language: Language; train: LanguagePlan["train"]; pairs: number; evaluation: EvaluationAnswer }[] = [];
  for (const [index, language] of languages.entries()) {
    const parallel = await askParallel(asker, language, {
      parallel: flags.parallel?.[index],
      parallelTarget: flags.parallelTarget?.[index],
      columns: flags.columns?.[index],
      header: flags.header,
      joinSpacedCjk: flags.joinSpacedCjk,
      skipBadRows: flags.skipBadRows,
    });
    const evaluation = await askEvaluation(asker, language, parallel.pairs, {
      eval: flags.eval?.[index],
      evalTarget: flags.evalTarget?.[index],
      heldOut: flags.heldOut?.[index],
    });
    data.push({ language, train: parallel.spec, pairs: parallel.pairs, evaluation });
  }
  const teacher = await askTeacher(asker, flags);
  const asked = await askStudent(asker, flags, "regression" in teacher);
  const size = asked.size;
  const student = await sizeStudent(teacher, asked.student, size);
  // The pairs training will see: those held out for testing are not among them.
  const trainingPairs = data.reduce(
    (sum, entry) => sum + entry.pairs - ("heldOut" in entry.evaluation ? entry.evaluation.heldOut : 0),
    0,
  );
  const budget = await askBudget(asker, flags, trainingPairs);
  const device = await asker.choose({
    title: "Device",
    flag: "--device auto|gpu|cpu|wasm|js",
    given: flags.device,
    default: "auto",
    choices: deviceChoices.map((choice) => ({
      value: choice,
      name: choice === "auto" ? "auto: gpu, then cpu, then wasm, then js" : choice,
    })),
  });
  const codes = languages.map((language) => language.code).join("-");
  const recipeFile = await asker.text({
    title: "Recipe file",
    flag: "--output PATH",
    given: flags.output,
    default: path.join("recipes", `${codes}.yaml`),
    parse: (text) => {
      if (!/\.ya?ml$/i.test(text)) throw new BabelbedError(`${text}: a recipe file ends in .yaml`);
      return path.resolve(text);
    },
  });
  const splitFiles = (code: string) => {
    const stem = path.join(path.dirname(recipeFile), recipeName(recipeFile));
    return { train: `${stem}-train.${code}.jsonl`, test: `${stem}-test.${code}.jsonl` };
  };
  const written = [
    recipeFile,
    ...data.flatMap((entry) => ("heldOut" in entry.evaluation ? Object.values(splitFiles(entry.language.code)) : [])),
  ];
  const existing = (await Promise.all(written.map(async (file) => ((await exists(file)) ? file : undefined)))).filter(
    (file) => file !== undefined,
  );
  if (existing.length > 0) {
    const overwrite = await asker.confirm({
      title: `${existing.map(shown).join(", ")} exist${existing.length === 1 ? "s" : ""}: overwrite?`,
      flag: "--force",
      given: flags.force ? true : undefined,
      default: false,
    });
    if (!overwrite)
      throw new BabelbedError(`wizard: ${shown(existing[0]!)} exists; pass --force to overwrite it, or --output PATH`);
  }

  // The plans count the split before it is written, so that the recipe is checked before anything is.
  const splits: { entry: (typeof data)[number]; files: { train: string; test: string }; heldOut: number }[] = [];
  const plans: LanguagePlan[] = data.map((entry) => {
    if (!("heldOut" in entry.evaluation))
      return { language: entry.language, train: entry.train, pairs: entry.pairs, test: entry.evaluation.test };
    const files = splitFiles(entry.language.code);
    const heldOut = entry.evaluation.heldOut;
    splits.push({ entry, files, heldOut });
    const join = entry.train.joinSpacedCjk ? { joinSpacedCjk: true } : {};
    const jsonl = (file: string) => ({ kind: "parallel" as const, file, format: "jsonl" as const, ...join });
    const source = entry.train.file ?? entry.train.files!.source;
    return {
      language: entry.language,
      train: jsonl(files.train),
      pairs: entry.pairs - heldOut,
      test: jsonl(files.test),
      heldOutFrom: { file: shown(source), pairs: heldOut },
    };
  });
  const composed = composeRecipe({
    recipeFile,
    shownFile: shown(recipeFile),
    languages: plans,
    teacher,
    student,
    size,
    budget,
    device,
    seed,
  });
  await writeRecipe(recipeFile, composed.text, async () => {
    for (const { entry, files, heldOut } of splits) {
      const counts = await writeHeldOutSplit(entry.train, entry.pairs, heldOut, seed, files);
      say(
        `held out ${counts.test} of ${entry.pairs} pairs: wrote ${shown(files.train)} (${counts.train}) and ${shown(files.test)} (${counts.test})`,
      );
    }
  });
  say(`\n${composed.text}`);
  say(`wrote ${shown(recipeFile)}`);
  const runNow = await asker.confirm({
    title: "Run it now?",
    flag: "--run or --no-run",
    given: flags.run,
    default: false,
  });
  if (runNow) await runRecipeFile(recipeFile, {});
  else say(`Run it later with: babelbed run ${shown(recipeFile)}`);
}

/** The target languages; a code that is not ISO 639-1 is used only once confirmed, else asked for again (or refused, from a flag). */
async function askLanguages(asker: Asker, given: string | undefined): Promise<Language[]> {
  for (;;) {
    const languages = await asker.text({
      title: "Target language(s)",
      hint: "ISO 639-1 codes or English names, comma-separated, e.g. ja or Japanese",
      flag: "--lang LANG",
      given,
      parse: (text) => parseLanguages(text, "language"),
    });
    let confirmed = true;
    for (const language of languages.filter((entry) => entry.unknown)) {
      say(`⚠ "${language.code}" is not an ISO 639-1 language code; babelbed knows nothing about its script.`);
      confirmed &&= await asker.confirm({
        title: `Use "${language.code}" anyway?`,
        flag: "--yes",
        given: asker.yes ? true : undefined,
        default: false,
      });
      if (!confirmed && given !== undefined)
        throw new BabelbedError(
          `wizard: --lang: "${language.code}" is not an ISO 639-1 code (e.g. de, ja, sw); nothing was written`,
        );
    }
    if (confirmed) return languages;
  }
}

/** Undefined: the composer's default epochs for the corpus size (with --yes and no budget flag). */
async function askBudget(asker: Asker, flags: WizardFlags, pairs: number): Promise<Budget | undefined> {
  const given: Budget[] = [];
  if (flags.epochs !== undefined) given.push({ epochs: flags.epochs });
  if (flags.minutes !== undefined) given.push({ minutes: flags.minutes });
  if (flags.steps !== undefined) given.push({ steps: flags.steps });
  if (given.length > 1) throw new BabelbedError("wizard: give one of --epochs, --minutes and --steps");
  if (given.length === 1) return given[0]!;
  if (asker.yes) return undefined;
  const mode = await asker.choose({
    title: "Training budget",
    flag: "--epochs N, --minutes M or --steps N",
    default: "epochs",
    choices: [
      { value: "epochs", name: "epochs: passes over the parallel data" },
      {
        value: "minutes",
        name: "minutes: a wall-clock limit per step (maxMinutes), with maxSteps estimated so the learning rate decays in time",
      },
      { value: "steps", name: "steps: optimizer steps for each model trained" },
    ],
  });
  const amount = (text: string) => {
    const number = Number(text);
    if (!Number.isFinite(number) || number <= 0) throw new BabelbedError(`expected a positive number, got "${text}"`);
    return number;
  };
  if (mode === "steps") {
    const whole = (text: string) => {
      if (!/^\d+$/.test(text) || Number(text) < 1)
        throw new BabelbedError(`expected a positive whole number, got "${text}"`);
      return Number(text);
    };
    return { steps: await asker.text({ title: "Training steps", flag: "--steps N", default: "200", parse: whole }) };
  }
  if (mode === "minutes")
    return {
      minutes: await asker.text({ title: "Minutes of training", flag: "--minutes M", default: "10", parse: amount }),
    };
  return {
    epochs: await asker.text({
      title: "Epochs",
      hint: `over ${pairs} training pairs`,
      flag: "--epochs N",
      default: String(defaultEpochs(pairs)),
      parse: amount,
    }),
  };
}

/**
 * Check the recipe as `babelbed run` will (loadRecipe, from its own folder), and the teacher's
 * and students' widths, which a run finds only once the teacher is loaded; then write the files
 * it reads (`beforeMove`) and move it into place.
 */
async function writeRecipe(file: string, text: string, beforeMove: () => Promise<void>): Promise<void> {
  const temporary = path.join(path.dirname(file), `.${path.basename(file)}.wizard-${process.pid}.yaml`);
  await writeFileAtomic(temporary, text);
  try {
    const loaded = await loadRecipe(temporary);
    await checkModelWidths(loaded.recipe, loaded.directory, shown(file));
    await beforeMove();
    await fs.rename(temporary, file);
  } catch (error) {
    await fs.rm(temporary, { force: true });
    throw error;
  }
}
