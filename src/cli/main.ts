// The `logsphere` CLI: a table of commands and the dispatch on the first argument; the one
// top-level catch turns errors into exit statuses (0 ok, 1 failure, 2 usage). The process
// itself is reached only through run()'s arguments (see logsphere.ts, the entry point).

import { silentProgress, terminalProgress } from '../text/progress.ts';
import type { Config } from '../config/config.ts';
import type { Micros } from '../record/time.ts';
import type { Command, CommandContext } from './command.ts';
import type { CommandIO } from './io.ts';
import { UsageError, mainUsage } from './usage.ts';
import { wrapUsage } from '../text/wrap.ts';
import { colourWanted, painter } from '../text/colour.ts';

export const version = '0.1.0';

/**
 * The commands by name, each loaded when it is run: the bundle (scripts/build.mjs) compiles a
 * command's code, and the modules only it uses, on the first import, so a call pays for its own
 * command and not for the others.
 */
export const commandTable: ReadonlyArray<{ name: string; load: () => Promise<Command> }> = [
  { name: 'sessions', load: async () => (await import('./commands/sessions.ts')).sessionsCommand },
  { name: 'last', load: async () => (await import('./commands/last.ts')).lastCommand },
  { name: 'failed', load: async () => (await import('./commands/failed.ts')).failedCommand },
  { name: 'import', load: async () => (await import('./commands/import.ts')).importCommand },
  { name: 'report', load: async () => (await import('./commands/report.ts')).reportCommand },
  { name: 'watch', load: async () => (await import('./commands/watch.ts')).watchCommand },
  { name: 'follow', load: async () => (await import('./commands/follow.ts')).followCommand },
  { name: 'rotate', load: async () => (await import('./commands/rotate.ts')).rotateCommand },
  { name: 'doctor', load: async () => (await import('./commands/doctor.ts')).doctorCommand },
  { name: 'ship', load: async () => (await import('./commands/ship.ts')).shipCommand },
  { name: 'db', load: async () => (await import('./commands/db.ts')).dbCommand },
  { name: 'lastlog', load: async () => (await import('./commands/lastlog.ts')).lastlogCommand },
  // util-linux's and coreutils' names, with their options: failed as lastb, sessions as who.
  { name: 'lastb', load: async () => (await import('./commands/lastb.ts')).lastbCommand },
  { name: 'who', load: async () => (await import('./commands/who.ts')).whoCommand },
];

/** Every command, loaded (for tests and tools that list them). */
export function loadCommands(): Promise<Command[]> {
  return Promise.all(commandTable.map((entry) => entry.load()));
}

/**
 * The configuration. The query commands validate it with the validator Ajv generated from the
 * schema ahead of time, as the hook does: env-schema builds an Ajv instance when it loads (about
 * 90 ms, measured with --cpu-prof), three times what `sessions` may take in all. `doctor`, whose
 * job is checking the installation, validates with env-schema itself.
 */
async function hostConfig(io: CommandIO, options: { checking?: boolean; secrets?: boolean }): Promise<Config> {
  const [{ loadConfig, needsValidation }, { configSources }, { validateCompiled }] = await Promise.all([
    import('../config/config.ts'),
    import('../config/config-file.ts'),
    import('../config/validate-compiled.ts'),
  ]);
  const sources = configSources(io.env, { secrets: options.secrets ?? false });
  for (const warning of sources.warnings) io.stderr(`logsphere: ${warning}\n`);
  if (!options.checking || !needsValidation(sources)) return loadConfig(sources, validateCompiled);
  const { validateWithEnvSchema } = await import('../config/validate-env-schema.ts');
  return loadConfig(sources, validateWithEnvSchema);
}

/** What run() may touch of the process. */
export interface Process extends CommandIO {
  stdoutIsTerminal: boolean;
  /** Whether standard error is a terminal (asked only by a command that shows progress). */
  stderrIsTerminal?: () => boolean;
  /** The terminal's width when standard output is one. */
  columns?: number | null;
  /** Calls `handler` on SIGTERM and SIGINT until the returned function is called. */
  onStopSignal(handler: () => void): () => void;
}

/** The width text output should fit: COLUMNS, else the terminal's, else 80. */
export function outputWidth(process: Pick<Process, 'env' | 'columns'>): number {
  const columns = Number(process.env['COLUMNS']);
  if (Number.isInteger(columns) && columns >= 20) return columns;
  return process.columns !== undefined && process.columns !== null && process.columns >= 20 ? process.columns : 80;
}

async function invoke(command: Command, args: string[], process: Process, now: Micros): Promise<number> {
  const stop = new AbortController();
  // Only a long-running command stops at its own pace; the others end at a signal as usual.
  const forget = command.longRunning ? process.onStopSignal(() => stop.abort()) : () => undefined;
  const context: CommandContext = {
    io: process,
    now,
    config: (options = {}) => hostConfig(process, options),
    signal: stop.signal,
    stdoutIsTerminal: process.stdoutIsTerminal,
    width: outputWidth(process),
    paint: painter(colourWanted(process.env, process.stdoutIsTerminal)),
    progress: (label, unit) => (process.stderrIsTerminal?.() === true ? terminalProgress(process.stderr, label, unit) : silentProgress),
  };
  try {
    const status = await command.invoke(args, context);
    if (status !== 'help') return status;
    process.stdout(wrapUsage(command.usage, outputWidth(process)));
    return 0;
  } finally {
    forget();
  }
}

export async function run(argv: string[], process: Process, now: Micros = Date.now() * 1000): Promise<number> {
  const [name, ...rest] = argv;
  const entry = commandTable.find((c) => c.name === name);
  try {
    if (entry !== undefined) return await invoke(await entry.load(), rest, process, now);
    switch (name) {
      case '-h':
      case '--help':
      case 'help':
        process.stdout(wrapUsage(mainUsage, outputWidth(process)));
        return 0;
      case '-V':
      case '--version':
        process.stdout(`logsphere ${version}\n`);
        return 0;
      case undefined:
        throw new UsageError('missing command');
      default:
        throw new UsageError(`unknown command ${JSON.stringify(name)}`);
    }
  } catch (error) {
    if (error instanceof UsageError || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      process.stderr(`logsphere: ${(error as Error).message}\nTry 'logsphere ${entry !== undefined ? `${name} ` : ''}--help'.\n`);
      return 2;
    }
    process.stderr(`logsphere: ${error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  }
}
