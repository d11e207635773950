// wtmp (and btmp, utmp) entries as `logsphere/1` records. Ids are name-based (UUIDv5 of the host
// and the entry's own bytes), so importing a file twice, or a rotated copy that overlaps, gives
// the same records again and a deduplicating reader adds nothing. Pairing a DEAD_PROCESS with
// its login follows last(1): the open login of the same pid, else of the same line, within the
// same boot.

import { v5 } from 'uuid';
import * as build from '../record/build.ts';
import type { Micros } from '../record/time.ts';
import type { RecordSource, SessionRecord } from '../record/types.ts';
import { UtType, type UtmpEntry } from './utmp.ts';

/** The namespace of LogSphere's name-based ids. */
const namespace = '6f1c0b3e-5d1a-4c8e-9a57-3f0e6b2d9c41';

function nameId(host: string, kind: string, entry: UtmpEntry): string {
  return v5(`${host}\u0000${kind}\u0000${Buffer.from(entry.bytes).toString('hex')}`, namespace);
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
  record: ReturnType<typeof build.sessionOpen>;
}

/** Records with fixed ids: the builders' random ids replaced by name-based ones. */
function withIds<T extends SessionRecord>(record: T, eventId: string, sessionId?: string | null): T {
  const fixed = { ...record, event_id: eventId } as T & { session_id?: string | null };
  if (sessionId !== undefined) fixed.session_id = sessionId;
  return fixed;
}

export interface ImportOptions {
  host: string;
  source: RecordSource;
}

export interface Imported {
  records: SessionRecord[];
  /** Entries of types that carry no login, boot or shutdown (INIT_PROCESS, ACCOUNTING, …). */
  ignored: number;
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

export function importWtmp(entries: readonly UtmpEntry[], options: ImportOptions): Imported {
  const { host, source } = options;
  const records: SessionRecord[] = [];
  let ignored = 0;
  // Boots are named by their own entry; sessions before the first boot of the file belong to a
  // boot named after the file's first entry.
  let bootId = entries[0] ? nameId(host, 'boot-before', entries[0]) : '';
  let byPid = new Map<number, Open>();
  let byLine = new Map<string, Open>();

  for (const e of entries) {
    const at = micros(e);
    if (isBoot(e)) {
      bootId = nameId(host, 'boot', e);
      byPid = new Map();
      byLine = new Map();
      const origin = { host, boot_id: bootId, source };
      records.push(withIds(build.boot(origin, at, e.host, at), nameId(host, 'event', e)));
      continue;
    }
    const origin = { host, boot_id: bootId, source };
    if (isShutdown(e)) {
      records.push(withIds(build.shutdown(origin, at), nameId(host, 'event', e)));
      continue;
    }
    if (source === 'btmp' && (e.type === UtType.LOGIN_PROCESS || e.type === UtType.USER_PROCESS)) {
      records.push(withIds(build.authFailure(origin, login(e), at), nameId(host, 'event', e)));
      continue;
    }
    if (e.type === UtType.USER_PROCESS) {
      const sessionId = nameId(host, 'session', e);
      const record = withIds(build.sessionOpen(origin, login(e), at), nameId(host, 'event', e), sessionId);
      records.push(record);
      const open = { entry: e, record };
      byPid.set(e.pid, open);
      byLine.set(e.line, open);
      continue;
    }
    if (e.type === UtType.DEAD_PROCESS) {
      const open = byPid.get(e.pid) ?? (e.line === '' ? undefined : byLine.get(e.line));
      if (open) {
        byPid.delete(open.entry.pid);
        if (byLine.get(open.entry.line) === open) byLine.delete(open.entry.line);
      }
      const closing = open ? login(open.entry) : { ...login(e), user: e.user || '' };
      const record = build.sessionClose(origin, closing, at, open ? { session_id: open.record.session_id, ts: open.record.ts } : null);
      records.push(withIds(record, nameId(host, 'event', e)));
      continue;
    }
    ignored++;
  }
  return { records, ignored };
}

