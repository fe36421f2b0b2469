import type { Command } from "commander";
import * as path from "node:path";
import { writeComparisonReport, writeRunReport } from "../../report/index.js";

const example = `
Examples:
  babelbed report runs/quickstart                       # rebuild runs/quickstart/report.html
  babelbed report runs/quickstart runs/quickstart-lr3e-4 --output compare.html

Every run writes report.html when it ends; this rebuilds it, e.g. after a run was killed.
The page is one self-contained file: it opens from disk with no network.
`;

export function registerReport(program: Command): void {
  program
    .command("report")
    .description("Write a run's report.html (charts, metrics, timings, recipe), or compare two runs side by side.")
    .argument("<run>", "a run directory")
    .argument("[other]", "a second run directory: write a comparison of the two")
    .option(
      "--output <file>",
      "where to write the page (default: RUN/report.html; for two runs, comparison-A-vs-B.html here)",
    )
    .allowExcessArguments(false)
    .addHelpText("after", example)
    .action(async (run: string, other: string | undefined, flags: { output?: string }) => {
      const written =
        other === undefined
          ? await writeRunReport(run, flags.output)
          : await writeComparisonReport(
              run,
              other,
              flags.output ??
                `comparison-${path.basename(path.resolve(run))}-vs-${path.basename(path.resolve(other))}.html`,
            );
      process.stdout.write(`${written}\n`);
    });
}
