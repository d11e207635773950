// What one hook run does, decided from its arguments and the pam_exec environment: pure, so the
// table of cases is tested without a PAM stack.

export type HookTask =
  | { kind: 'open' }
  | { kind: 'close' }
  | { kind: 'auth-failure' }
  | { kind: 'boot' }
  | { kind: 'shutdown' }
  | { kind: 'skip'; reason: string; unexpected: boolean };

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
