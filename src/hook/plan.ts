// What one hook run does, decided from its arguments and the pam_exec environment: pure, so the
// table of cases is tested without a PAM stack.

/** The first argument of the pty watcher the hook leaves behind after an open (watch-terminal.ts). */
export const watchCommand = 'watch-terminal';

export type HookTask =
  | { kind: 'open' }
  | { kind: 'close' }
  | { kind: 'auth-failure' }
  | { kind: 'boot' }
  | { kind: 'shutdown' }
  | { kind: 'skip'; reason: string; unexpected: boolean };

/**
 * Splits the hook's arguments into the config file named on its PAM line and the rest:
 * `--config=FILE` (an absolute path), before the command. pam_exec passes only what the PAM
 * line says, and only root writes PAM lines: this is how a test or a proof points the hook at
 * another (root-owned) file, never through the environment.
 */
export function hookArguments(argv: readonly string[]): { configPath: string | null; args: string[] } | { error: string } {
  const first = argv[0];
  if (first === undefined || !first.startsWith('--config')) return { configPath: null, args: [...argv] };
  const path = first.startsWith('--config=') ? first.slice('--config='.length) : null;
  if (path === null || !path.startsWith('/')) return { error: `--config needs an absolute path as --config=FILE (got ${JSON.stringify(first)})` };
  return { configPath: path, args: argv.slice(1) };
}

export function planHook(args: readonly string[], pamType: string | null, service: string, ignoreServices: readonly string[]): HookTask {
  const command = args[0];
  if (args.length > 1) return { kind: 'skip', reason: `unexpected arguments: ${args.slice(1).join(' ')}`, unexpected: true };
  if (command === 'boot' || command === 'shutdown') return { kind: command };
  if (command !== undefined && command !== 'auth-failure') {
    return { kind: 'skip', reason: `unknown command ${JSON.stringify(command)}`, unexpected: true };
  }
  if (ignoreServices.includes(service)) return { kind: 'skip', reason: `service ${service} is ignored`, unexpected: false };
  if (command === 'auth-failure') return { kind: 'auth-failure' };
  if (pamType === 'open_session') return { kind: 'open' };
  if (pamType === 'close_session') return { kind: 'close' };
  return { kind: 'skip', reason: `nothing to record for PAM_TYPE=${pamType ?? '(unset)'}`, unexpected: false };
}
