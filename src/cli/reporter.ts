import ora, { type Ora } from "ora";
import { formatDuration, type RecipeProgress, type StepEta } from "../recipes/progress.js";

/**
 * What a run shows on stderr: a spinner with the latest activity (and how long it has run)
 * while loading, evaluating, computing teacher vectors or exporting; a single rewritten
 * progress line while training. Following a recipe, every line says which recipe step it
 * belongs to ("[2/3]"), and training lines end with the recipe's elapsed time and ETA.
 * When stderr is not a terminal: plain lines, a training line every 10 s, no escape codes.
 */
export class Reporter {
  private spinner?: Ora;
  private spinnerText = "";
  private spinnerStarted = 0;
  private ticker?: NodeJS.Timeout;
  private lastPrinted = 0;
  /** A progress line without its newline is on the terminal: the next output must not overwrite it. */
  private progressOpen = false;
  private recipe?: RecipeProgress;
  private stepOpening = false;

  // As ora decides whether to spin: under CI (even on a terminal) and TERM=dumb it writes plain lines, and so does this.
  constructor(
    private readonly interactive = process.stderr.isTTY === true &&
      process.env.TERM !== "dumb" &&
      !("CI" in process.env),
  ) {}

  /** Place every later line within this recipe's steps. */
  follow(recipe: RecipeProgress): void {
    this.recipe = recipe;
  }

  /** Step `index` of the followed recipe begins: its first line says where the recipe stands. */
  stepStarted(index: number): void {
    this.recipe?.begin(index);
    this.stepOpening = true;
  }

  log(line: string): void {
    let text = this.prefixed(line);
    if (this.stepOpening && this.recipe !== undefined) text += ` · ${this.recipe.opening()}`;
    this.stepOpening = false;
    if (!this.interactive) {
      process.stderr.write(`${text}\n`);
      return;
    }
    this.closeProgress();
    this.persistSpinner();
    this.spinnerText = text;
    this.spinnerStarted = Date.now();
    this.spinner = ora({ text, stream: process.stderr }).start();
    // The spinner says how long the activity has run: evaluation and teacher vectors say nothing else for a while.
    this.ticker ??= setInterval(() => this.tick(), 1000).unref();
  }

  /**
   * The current activity's line, with where it stands ("teacher vectors 320/1200"): on a
   * terminal the spinner shows it (and keeps its elapsed time); else a line every 10 s.
   */
  activity(line: string): void {
    if (this.interactive) {
      if (this.spinner === undefined) {
        this.log(line);
        return;
      }
      this.spinnerText = this.prefixed(line);
      this.tick();
      return;
    }
    const now = Date.now();
    if (now - this.lastPrinted > 10_000) {
      process.stderr.write(`${this.prefixed(line)}\n`);
      this.lastPrinted = now;
    }
  }

  progress(line: string, done: boolean, eta?: StepEta): void {
    const recipe = this.recipe === undefined || eta === undefined ? "" : ` · ${this.recipe.summary(eta)}`;
    const text = `${this.prefixed(line)}${recipe}`;
    if (this.interactive) {
      this.persistSpinner();
      // One terminal row: a wrapped line would leave its first rows behind at every redraw.
      const columns = process.stderr.columns ?? 0;
      const shown = columns > 1 && text.length >= columns ? `${text.slice(0, columns - 2)}…` : text;
      process.stderr.write(`\r\x1b[2K${shown}${done ? "\n" : ""}`);
      this.progressOpen = !done;
      return;
    }
    const now = Date.now();
    if (done || now - this.lastPrinted > 10_000) {
      process.stderr.write(`${text}\n`);
      this.lastPrinted = now;
    }
  }

  finish(): void {
    this.persistSpinner();
    this.closeProgress();
    if (this.ticker !== undefined) clearInterval(this.ticker);
    this.ticker = undefined;
  }

  private prefixed(line: string): string {
    const position = this.recipe?.position() ?? "";
    return position === "" ? line : `[${position}] ${line}`;
  }

  private tick(): void {
    if (this.spinner === undefined) return;
    const seconds = (Date.now() - this.spinnerStarted) / 1000;
    this.spinner.text = seconds >= 2 ? `${this.spinnerText} (${formatDuration(seconds)})` : this.spinnerText;
  }

  private persistSpinner(): void {
    this.spinner?.stopAndPersist({ symbol: "·" });
    this.spinner = undefined;
  }

  private closeProgress(): void {
    if (this.progressOpen) process.stderr.write("\n");
    this.progressOpen = false;
  }
}
