// The pty an open session's processes hold now, for a session whose tty does not name it (sshd
// says `ssh` and allocates the pty after the open; the close records it, an open session has it
// only here): what `sessions` and `last` show for a session still open on this host.

import type { Session } from '../reconcile/types.ts';
import { auditSessionTerminal, descendantTerminal, processTree } from '../sys/processes.ts';
import type { LocalHost } from './load-sessions.ts';

/** The session with its live pty filled in, where there is one to find; the process table is read once. */
export function liveTerminals(local: LocalHost): (s: Session) => Session {
  let tree: Map<number, number[]> | null = null;
  return (s) => {
    if (s.end !== null || s.pty !== null || (s.tty !== null && s.tty !== 'ssh')) return s;
    if (s.host !== local.host || s.boot_id !== local.bootId) return s;
    // The PAM process's descendants; when it is gone (sshd's [priv] killed), its audit session's processes.
    const pty = descendantTerminal(s.pid, (tree ??= processTree())) ?? (s.audit_session === null ? null : auditSessionTerminal(s.audit_session));
    return pty === null ? s : { ...s, pty };
  };
}
