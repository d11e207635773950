// The session object of DESIGN.md's JSON output, shared by `sessions --json` and `last --json`:
// `tty` as PAM gave it, `pty` the pseudo-terminal when that says none (sshd's `ssh`), and `kind`,
// a login or a user switch.

import type { Session } from '../reconcile/types.ts';

export function sessionJson(s: Session): Record<string, unknown> {
  return {
    session_id: s.session_id, host: s.host, user: s.user, uid: s.uid, tty: s.tty, pty: s.pty, rhost: s.rhost,
    service: s.service, kind: s.kind, pid: s.pid, login_time: s.login_time, logout_time: s.logout_time,
    duration_s: s.duration_s, end: s.end,
  };
}
