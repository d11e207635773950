// wtmp (and btmp, utmp) entries as `logsphere/1` records. Ids are name-based (UUIDv5 of the host
// and the entry's own bytes), so importing a file twice, or a rotated copy that overlaps, gives
// the same records again and a deduplicating reader adds nothing. Pairing a DEAD_PROCESS with
// its login follows last(1): the open login of the same pid, else of the same line, within the
// same boot.

import * as build from '../record/build.ts';
import type { Micros } from '../record/time.ts';
import type { RecordSource, SessionRecord } from '../record/types.ts';
import { uuidV5 } from './name-id.ts';
import { UtType, type UtmpEntry } from './utmp.ts';

/** Name-based ids of one entry: UUIDv5 of the host, the kind of id and the entry's bytes. */
function idsOf(host: string, entry: UtmpEntry) {
  const name = `${host}\u0000${Buffer.from(entry.bytes.buffer, entry.bytes.byteOffset, entry.bytes.byteLength).toString('base64')}`;
  return (kind: string) => uuidV5(`${kind}\u0000${name}`);
}

const micros = (e: UtmpEntry): Micros => e.sec * 1_000_000 + e.usec;

function isBoot(e: UtmpEntry): boolean {
  return e.type === UtType.BOOT_TIME || (e.line === '~' && e.user === 'reboot');
}

/** `shutdown` rows, and runlevel changes to 0 (halt) or 6 (reboot), on line `~`. */
function isShutdown(e: UtmpEntry): boolean {
  if (e.line !== '~') return false;
  if (e.user === 'shutdown') return true;
  const level = String.fromCharCode(e.pid & 0xff);
  return e.type === UtType.RUN_LVL && e.user === 'runlevel' && (level === '0' || level === '6');
}

interface Open {
  entry: UtmpEntry;
  sessionId: string;
  ts: string;
}

export interface ImportOptions {
  host: string;
  source: RecordSource;
}

function login(e: UtmpEntry): build.Login {
  return {
    user: e.user,
    uid: null,
    tty: e.line === '' ? null : e.line.replace(/^\/dev\//, ''),
    rhost: e.host === '' ? e.addr : e.host,
    ruser: null,
    service: 'wtmp',
    pid: Math.max(0, e.pid),
    pid_start: 0,
  };
}

/** Turns entries, in file order, into records handed to `emit`. */
export class WtmpImporter {
  /** Entries of types that carry no login, boot or shutdown (INIT_PROCESS, ACCOUNTING, …). */
  ignored = 0;
  private bootId: string | null = null;
  private byPid = new Map<number, Open>();
  private byLine = new Map<string, Open>();

  constructor(
    private readonly options: ImportOptions,
    private readonly emit: (record: SessionRecord) => void,
  ) {}

  add(e: UtmpEntry): void {
    const { host, source } = this.options;
    const id = idsOf(host, e);
    const at = micros(e);
    if (isBoot(e)) {
      // A boot is named by its own entry; what comes before the first boot of a file belongs to
      // a boot named after that file's first entry.
      this.bootId = id('boot');
      this.byPid = new Map();
      this.byLine = new Map();
      this.emit(build.boot({ host, boot_id: this.bootId, source }, at, e.host, at, { event_id: id('event') }));
      return;
    }
    this.bootId ??= id('boot-before');
    const origin = { host, boot_id: this.bootId, source };
    if (isShutdown(e)) {
      this.emit(build.shutdown(origin, at, { event_id: id('event') }));
    } else if (source === 'btmp' && (e.type === UtType.LOGIN_PROCESS || e.type === UtType.USER_PROCESS)) {
      this.emit(build.authFailure(origin, login(e), at, { event_id: id('event') }));
    } else if (e.type === UtType.USER_PROCESS) {
      const record = build.sessionOpen(origin, login(e), at, { event_id: id('event'), session_id: id('session') });
      const open = { entry: e, sessionId: record.session_id, ts: record.ts };
      this.byPid.set(e.pid, open);
      this.byLine.set(e.line, open);
      this.emit(record);
    } else if (e.type === UtType.DEAD_PROCESS && source !== 'utmp') {
      const open = this.byPid.get(e.pid) ?? (e.line === '' ? undefined : this.byLine.get(e.line));
      if (open) {
        this.byPid.delete(open.entry.pid);
        if (this.byLine.get(open.entry.line) === open) this.byLine.delete(open.entry.line);
      }
      const closing = open ? login(open.entry) : login(e);
      this.emit(build.sessionClose(origin, closing, at, open ? { session_id: open.sessionId, ts: open.ts } : null, { event_id: id('event') }));
    } else {
      this.ignored++;
    }
  }
}
