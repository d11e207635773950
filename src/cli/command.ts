// A command of the CLI: its name, its usage text, the parse of its arguments into a typed
// options object, and the run that calls one use case and prints the result. main.ts holds the
// table of commands and dispatches on the first argument.

import type { Config } from '../config/config.ts';
import type { Micros } from '../record/time.ts';
import type { Paint } from '../text/colour.ts';
import type { Progress, ProgressUnit } from '../text/progress.ts';
import type { CommandIO } from './io.ts';

export interface CommandContext {
  io: CommandIO;
  /** When the command started. */
  now: Micros;
  /** The host's configuration: `checking` validates with env-schema, `secrets` reads secrets.env too. */
  config(options?: { checking?: boolean; secrets?: boolean }): Promise<Config>;
  /** Aborted by SIGTERM (systemctl stop) or SIGINT; only long-running commands listen. */
  signal: AbortSignal;
  /** Whether standard output is a terminal. */
  stdoutIsTerminal: boolean;
  /** The width text output should fit (COLUMNS, the terminal's, else 80). */
  width: number;
  /** Colour for text output: the identity unless standard output is a terminal that wants colour. */
  paint: Paint;
  /** Progress of long work on standard error (text/progress.ts): silent unless it is a terminal. */
  progress(label: string, unit?: ProgressUnit): Progress;
}

export interface CommandSpec<Options> {
  name: string;
  usage: string;
  /** Runs until stopped by a signal: SIGTERM and SIGINT end it after the batch at hand. */
  longRunning?: boolean;
  parse(args: string[], now: Micros): Options | 'help';
  run(options: Options, context: CommandContext): number | Promise<number>;
}

/** A command with its options type erased, for the table. */
export interface Command {
  name: string;
  usage: string;
  longRunning: boolean;
  /** Parses `args` and runs; 'help' when the arguments ask for the usage text. */
  invoke(args: string[], context: CommandContext): Promise<number | 'help'>;
}

export function defineCommand<Options>(spec: CommandSpec<Options>): Command {
  return {
    name: spec.name,
    usage: spec.usage,
    longRunning: spec.longRunning ?? false,
    async invoke(args, context) {
      const options = spec.parse(args, context.now);
      return options === 'help' ? 'help' : spec.run(options, context);
    },
  };
}
