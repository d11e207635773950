// The session object of DESIGN.md's JSON output, shared by `sessions --json` and `last --json`.

import type { CurrentSession } from './current-sessions.ts';

export function sessionJson(s: CurrentSession): Record<string, unknown> {
  const object: Record<string, unknown> = {
    session_id: s.session_id, host: s.host, user: s.user, uid: s.uid, tty: s.tty, rhost: s.rhost,
    service: s.service, pid: s.pid, login_time: s.login_time, logout_time: s.logout_time,
    duration_s: s.duration_s, end: s.end,
  };
  if (s.pty !== undefined) object['pty'] = s.pty;
  return object;
}
