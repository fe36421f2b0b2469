import * as path from "node:path";
import { openDataSource } from "../../data/rows.js";
import type { DataSourceInput } from "../../data/source.js";
import { inspectModelDirectory } from "../../io/model-directory.js";
import { relativeWhereShared, type StudentPlan, type TeacherPlan } from "../../recipes/compose.js";
import { modelSizeNames, modelSizes, sizeHelp, type ModelSize } from "../../recipes/presets.js";
import { directoryWidth } from "../../recipes/widths.js";
import { BabelbedError } from "../../util/errors.js";
import { exists } from "../../util/files.js";
import { packageRoot } from "../../util/package.js";
import type { Asker } from "./ask.js";
import { formatOf, requireFile } from "./data.js";

export interface ModelFlags {
  teacher?: string;
  teacherSts?: string;
  teacherNli?: string;
  student?: string;
  size?: ModelSize;
}

const say = (text: string) => process.stdout.write(`${text}\n`);

/** The project's own small English files, the teacher's data unless the user names others. */
function projectData(name: string): string {
  return path.join(packageRoot(), "datasets", name);
}

/** A path as the user would type it from here. */
const shown = (file: string) => relativeWhereShared(process.cwd(), file);

async function modelDirectory(text: string): Promise<string> {
  const found = await inspectModelDirectory(text);
  return found.dir;
}

export async function askTeacher(asker: Asker, flags: ModelFlags): Promise<TeacherPlan> {
  const mode = await asker.choose({
    title: "Teacher",
    flag: "--teacher DIR or --teacher train",
    given: flags.teacher === undefined ? undefined : flags.teacher === "train" ? "train" : "directory",
    default: "train",
    choices: [
      {
        value: "train",
        name: "train one here from English STS and NLI files",
        description: "a small SBERT, from scratch",
      },
      {
        value: "directory",
        name: "an existing model directory",
        description: "exported by babelbed, or a sentence-transformers / Hugging Face directory",
      },
    ],
  });
  if (mode === "directory") {
    const directory = await asker.text({
      title: "Teacher model directory",
      flag: "--teacher DIR",
      given: flags.teacher,
      parse: modelDirectory,
    });
    const stsTest = await projectStsTest();
    return { directory, ...(stsTest === undefined ? {} : { stsTest }) };
  }
  const sts = await asker.text({
    title: "STS file for the teacher",
    hint: "csv/tsv/jsonl: sentence1, sentence2, score 0–5",
    flag: "--teacher-sts FILE",
    given: flags.teacherSts,
    default: shown(projectData("en-sts/train.tsv")),
    parse: (file) => checkedSource(file, { kind: "scored-pairs", scoreRange: [0, 5] }),
  });
  const nli = await asker.text({
    title: "NLI file for the teacher",
    hint: "csv/tsv/jsonl: premise, hypothesis, label",
    flag: "--teacher-nli FILE",
    given: flags.teacherNli,
    default: shown(projectData("en-nli/train.tsv")),
    parse: (file) => checkedSource(file, { kind: "labelled-pairs" }),
  });
  say(`teacher data: ${sts.rows} STS rows, ${nli.rows} NLI rows`);
  const stsTest = await projectStsTest();
  return {
    regression: sts.spec as Extract<DataSourceInput, { kind: "scored-pairs" }>,
    classification: nli.spec as Extract<DataSourceInput, { kind: "labelled-pairs" }>,
    ...(stsTest === undefined ? {} : { stsTest }),
    rows: Math.min(sts.rows, nli.rows),
  };
}

/** The project's English STS test file, which scores the teacher and the student's English, when it is at hand. */
async function projectStsTest(): Promise<Extract<DataSourceInput, { kind: "scored-pairs" }> | undefined> {
  const file = projectData("en-sts/test.tsv");
  if (!(await exists(file))) return undefined;
  return { kind: "scored-pairs", file, format: "tsv", header: true, scoreRange: [0, 5] };
}

/** A teacher data file read through once, so that a bad row is reported (FILE:LINE) now, not an hour into a run. */
async function checkedSource(
  text: string,
  kind: { kind: "scored-pairs"; scoreRange: [number, number] } | { kind: "labelled-pairs" },
): Promise<{ spec: DataSourceInput; rows: number }> {
  const file = await requireFile(text);
  const format = formatOf(file);
  if (format === "lines") throw new BabelbedError(`${text}: expected a .csv, .tsv or .jsonl file`);
  const { kind: rows, ...rest } = kind;
  const spec = {
    kind: rows,
    file,
    format,
    ...(format === "jsonl" ? {} : { header: true }),
    ...rest,
  } as DataSourceInput;
  const reader = openDataSource(spec);
  for await (const _ of reader);
  return { spec, rows: reader.report.rows };
}

/** The student, and the size of whatever is trained from scratch (`trainsTeacher`: the teacher is). */
export async function askStudent(
  asker: Asker,
  flags: ModelFlags,
  trainsTeacher: boolean,
): Promise<{ student: StudentPlan; size: ModelSize }> {
  const mode = await asker.choose({
    title: "Student",
    flag: "--student DIR or --student fresh",
    given: flags.student === undefined ? undefined : flags.student === "fresh" ? "fresh" : "directory",
    default: "fresh",
    choices: [
      { value: "fresh", name: "a fresh model with a vocabulary trained on the parallel data" },
      {
        value: "directory",
        name: "a Hugging Face model directory",
        description: "e.g. a multilingual BERT, with config.json, model.safetensors and a tokenizer",
      },
    ],
  });
  const student: StudentPlan =
    mode === "fresh"
      ? { fresh: true }
      : {
          directory: await asker.text({
            title: "Student model directory",
            flag: "--student DIR",
            given: flags.student,
            parse: modelDirectory,
          }),
        };
  // Nothing is trained from scratch: no size to ask.
  if (mode === "directory" && !trainsTeacher) return { student, size: flags.size ?? "small" };
  const size = await asker.choose({
    title:
      mode === "directory"
        ? "Model size (of the teacher trained here)"
        : trainsTeacher
          ? "Model size (teacher and student)"
          : "Model size (of the fresh student)",
    flag: "--size tiny|small|base",
    given: flags.size,
    default: "small",
    choices: modelSizeNames.map((name) => ({ value: name, name: `${name}: ${sizeHelp[name]}` })),
  });
  return { student, size };
}

/**
 * The student sized to the teacher: when their vectors differ in width (an existing teacher
 * of 32, 384 or 768 dimensions; an existing student of another width), `dense: teacher`.
 */
export async function sizeStudent(teacher: TeacherPlan, student: StudentPlan, size: ModelSize): Promise<StudentPlan> {
  const fresh = modelSizes[size].hiddenSize;
  const teacherWidth = "directory" in teacher ? await directoryWidth(teacher.directory) : fresh;
  // The recipe gives the student mean pooling, so its width is measured with it.
  const studentWidth = "directory" in student ? await directoryWidth(student.directory, "mean") : fresh;
  if (teacherWidth === studentWidth) return student;
  say(
    `The teacher's vectors have ${teacherWidth} dimensions and the student's ${studentWidth}: the student gets a linear layer to ${teacherWidth} (dense: teacher).`,
  );
  return { ...student, dense: "teacher" };
}
