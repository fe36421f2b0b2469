import type { Command } from "commander";
import { segmenterFor } from "../../text/segmenter.js";
import { BabelbedError } from "../../util/errors.js";
import { writeFileAtomic } from "../../util/files.js";
import { readSentences } from "./encode.js";

interface SegmentFlags {
  language: string;
  input: string;
  output: string;
}

const example = `
Example (a student trained with segment: [ja], used from Python):
  babelbed segment --language ja --input sentences.txt --output segmented.txt
  python -c "from sentence_transformers import SentenceTransformer as S; print(S('student').encode(open('segmented.txt').read().splitlines()))"
`;

export function registerSegment(program: Command): void {
  program
    .command("segment")
    .description(
      "Split each line into words as a model trained with `segment: [ja]` does before its tokenizer (kuromoji), so that sentence-transformers embeds the lines as babelbed does.",
    )
    .requiredOption("--language <code>", "the language to segment (ja)")
    .requiredOption("--input <file>", "UTF-8 text, one sentence per line")
    .requiredOption("--output <file>", "the segmented lines, in input order")
    .addHelpText("after", example)
    .action(async (flags: SegmentFlags) => segment(flags));
}

async function segment(flags: SegmentFlags): Promise<void> {
  const segmenter = await segmenterFor(flags.language);
  if (segmenter === undefined) {
    throw new BabelbedError(
      `--language ${flags.language}: babelbed segments only Japanese (ja); other languages need no segmentation`,
    );
  }
  const lines = (await readSentences(flags.input)).map((line) => segmenter.segment(line));
  await writeFileAtomic(flags.output, lines.join("\n") + (lines.length > 0 ? "\n" : ""));
  process.stderr.write(`${lines.length} lines segmented (${segmenter.language}) → ${flags.output}\n`);
}
