import { confirm, input, select } from "@inquirer/prompts";
import { BabelbedError } from "../../util/errors.js";

/** A question the wizard asks, and the flag that answers it without asking. */
interface Question {
  /** Short, used in prompts and in the message that names the flag. */
  title: string;
  /** Shown after the title in the prompt only. */
  hint?: string;
  /** e.g. "--parallel FILE". */
  flag: string;
}

export interface Choice<T extends string> {
  value: T;
  name: string;
  description?: string;
}

/**
 * Where answers come from, in order: the flag, the default when `--yes` was given, the user at
 * a terminal. Without a terminal a missing answer stops the wizard (exit 2) naming the flag to pass.
 */
export class Asker {
  constructor(
    readonly yes: boolean,
    readonly interactive = Boolean(process.stdin.isTTY),
  ) {}

  /** Free text turned into a value by `parse`, which throws a BabelbedError on bad input; the user is asked again then. */
  async text<T>(
    question: Question & { given?: string; default?: string; parse: (text: string) => Promise<T> | T },
  ): Promise<T> {
    if (question.given !== undefined) return this.fromFlag(question, () => question.parse(question.given!));
    if (this.yes && question.default !== undefined)
      return this.fromFlag(question, () => question.parse(question.default!));
    this.requireTerminal(question);
    let parsed: { text: string; value: T } | undefined;
    const answer = await cancellable(() =>
      input({
        message: prompt(question),
        default: question.default,
        required: true,
        // A rejected answer is cleared: kept, the next keystrokes would append to it ("Klingonxx").
        theme: { validationFailureMode: "clear" },
        validate: async (text) => {
          try {
            parsed = { text, value: await question.parse(text.trim()) };
            return true;
          } catch (error) {
            if (error instanceof BabelbedError) return error.message;
            throw error;
          }
        },
      }),
    );
    return parsed !== undefined && parsed.text === answer ? parsed.value : question.parse(answer.trim());
  }

  async choose<T extends string>(question: Question & { given?: T; default: T; choices: Choice<T>[] }): Promise<T> {
    if (question.given !== undefined) return question.given;
    if (this.yes) return question.default;
    this.requireTerminal(question);
    return cancellable(() =>
      select<T>({ message: prompt(question), choices: question.choices, default: question.default }),
    );
  }

  async confirm(question: Question & { given?: boolean; default: boolean }): Promise<boolean> {
    if (question.given !== undefined) return question.given;
    if (this.yes) return question.default;
    this.requireTerminal(question);
    return cancellable(() => confirm({ message: prompt(question), default: question.default }));
  }

  private async fromFlag<T>(question: Question, parse: () => Promise<T> | T): Promise<T> {
    try {
      return await parse();
    } catch (error) {
      if (error instanceof BabelbedError)
        throw new BabelbedError(`wizard: ${question.flag.split(" ")[0]}: ${error.message}`, error.exitCode);
      throw error;
    }
  }

  private requireTerminal(question: Question): void {
    if (this.interactive) return;
    throw new BabelbedError(`wizard: no terminal to ask "${question.title}" on; pass ${question.flag}`);
  }
}

function prompt(question: Question): string {
  return question.hint === undefined ? question.title : `${question.title} (${question.hint})`;
}

/** Ctrl-C at a prompt ends the wizard with 130, as an interrupted command does, and without a stack trace. */
async function cancellable<T>(ask: () => Promise<T>): Promise<T> {
  try {
    return await ask();
  } catch (error) {
    if ((error as Error).name === "ExitPromptError")
      throw new BabelbedError("wizard: cancelled; nothing was written", 130);
    throw error;
  }
}
