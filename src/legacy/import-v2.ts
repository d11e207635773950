// The JSONL of the older Python LogSphere tracker as `logsphere/1` records. Its login records are
// `{session_id, user, tty, login_time, logout_time: null}`, its logout records
// `{session_id, user, tty, login_time: null, logout_time}`, with local times without a zone.
// The original session_id is kept (lowercased) when it is a UUID; otherwise a name-based one is
// made and the original goes into `legacy_session_id`. Event ids are name-based too, so a second
// import of the same file gives the same records.

import * as build from '../record/build.ts';
import type { SessionOpenRecord, LogRecord } from '../record/types.ts';
import { uuidV5 } from '../record/name-ids.ts';
import { zonedToMicros } from '../time/zoned-time.ts';

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export interface V2Options {
  host: string;
  zone: string;
}

interface V2Line {
  session_id: string;
  user: string;
  tty: string | null;
  login_time: string | null;
  logout_time: string | null;
}

function shape(value: unknown): V2Line | null {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return null;
  const r = value as Record<string, unknown>;
  const text = (v: unknown) => typeof v === 'string' && v !== '';
  if (!text(r['session_id']) || typeof r['user'] !== 'string') return null;
  if (!(r['tty'] === null || r['tty'] === undefined || typeof r['tty'] === 'string')) return null;
  const login = r['login_time'] ?? null;
  const logout = r['logout_time'] ?? null;
  if (!((text(login) && logout === null) || (login === null && text(logout)))) return null;
  return { session_id: r['session_id'] as string, user: r['user'] as string, tty: (r['tty'] as string | null | undefined) ?? null, login_time: login as string | null, logout_time: logout as string | null };
}

export class V2Importer {
  malformed = 0;
  private readonly opens = new Map<string, Pick<SessionOpenRecord, 'session_id' | 'ts'>>();
  private readonly bootId: string;

  constructor(
    private readonly options: V2Options,
    private readonly emit: (record: LogRecord) => void,
  ) {
    // The tracker recorded no boots: one name-based boot per host stands for "unknown".
    this.bootId = uuidV5(`${options.host}\u0000logsphere-v2-boot`);
  }

  addLine(line: string): void {
    const text = line.trim();
    if (text === '') return;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      this.malformed++;
      return;
    }
    const r = shape(value);
    const at = r ? zonedToMicros((r.login_time ?? r.logout_time) as string, this.options.zone) : null;
    if (!r || at === null) {
      this.malformed++;
      return;
    }
    const { host } = this.options;
    const original = r.session_id;
    const sessionId = uuidPattern.test(original) ? original.toLowerCase() : uuidV5(`${host}\u0000v2-session\u0000${original}`);
    const origin = { host, boot_id: this.bootId, source: 'logsphere-v2' as const };
    const login: build.Login = { user: r.user, uid: null, tty: r.tty, rhost: null, ruser: null, service: 'logsphere-v2', pid: 0, pid_start: 0 };
    const eventId = uuidV5(`${host}\u0000v2-event\u0000${text}`);
    let record: LogRecord;
    if (r.login_time !== null) {
      const open = build.sessionOpen(origin, login, at, { event_id: eventId, session_id: sessionId });
      this.opens.set(sessionId, open);
      record = open;
    } else {
      record = build.sessionClose(origin, login, at, this.opens.get(sessionId) ?? null, { event_id: eventId });
      if (record.session_id === null) record.session_id = sessionId; // the tracker's id pairs it
      this.opens.delete(sessionId);
    }
    if (sessionId !== original) (record as LogRecord & { legacy_session_id?: string }).legacy_session_id = original;
    this.emit(record);
  }
}
