/**
 * `abrec`: one command per step of the pipeline. Each subcommand lives in ./commands/<name>.ts and exports
 * `register(program)`; the pipeline order is data -> train -> evaluate -> design -> serve -> simulate -> analyze,
 * and `experiment` runs them all.
 */
import { Command, CommanderError } from "commander";
import { InputError } from "../core/errors";
import * as analyze from "./commands/analyze";
import * as data from "./commands/data";
import * as design from "./commands/design";
import * as evaluate from "./commands/evaluate";
import * as experiment from "./commands/experiment";
import * as serve from "./commands/serve";
import * as simulate from "./commands/simulate";
import * as train from "./commands/train";

/** Subcommands in pipeline order (one per line, so parallel branches merge cleanly). */
// prettier-ignore
const COMMANDS: { register(program: Command): void }[] = [
  data,
  train,
  evaluate,
  design,
  analyze,
  serve,
  simulate,
  experiment,
];

export function buildProgram(): Command {
  const program = new Command("abrec")
    .description(
      "A/B test two MovieLens recommenders end to end: data, models, design, serving, simulation, analysis.",
    )
    .showHelpAfterError()
    .exitOverride();
  for (const command of COMMANDS) command.register(program);
  return program;
}

/** Runs the CLI; bad input exits 2 with its message (no stack), other errors exit 1. */
export async function main(argv: string[]): Promise<number> {
  try {
    await buildProgram().parseAsync(argv, { from: "user" });
    return 0;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode;
    if (error instanceof InputError) {
      process.stderr.write(`abrec: ${error.message}\n`);
      return 2;
    }
    throw error;
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => (process.exitCode = code),
    (error: unknown) => {
      process.stderr.write(
        `abrec: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
      );
      process.exitCode = 1;
    },
  );
}
