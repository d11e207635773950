// wtmpdb's database (its `wtmp` table) as `logsphere/1` records. wtmpdb keeps one row per login
// and per boot: Type (BOOT_TIME 2, USER_PROCESS 7, as in utmp.h), User, Login and Logout in
// microseconds since the epoch (Logout NULL, or 0, while the login or the boot lasts), TTY,
// RemoteHost (a boot's: the kernel release) and Service (the PAM service).
//
// A USER_PROCESS row is a session: its open at Login and, when it has a Logout, its close. A
// BOOT_TIME row ("reboot", or "soft-reboot" for systemd's soft reboot) is a boot at Login, and
// its Logout, when set, the shutdown that ended it (`wtmpdb shutdown` writes it there). Sessions
// belong to the last boot before their login; those before the first boot of the file to one
// name-based boot per host that stands for "unknown", as in the other imports that lack boots.
//
// Ids are name-based (UUIDv5 of the host and the row's content, Logout and ID left out): the
// same file imported twice, an older copy and then the newer one (whose rows have since gained
// their Logout), or a rotated file (`wtmpdb rotate` copies rows into a new file with new IDs),
// give the same ids, and a deduplicating reader adds nothing. Two rows alike in everything but
// their ID are one login.
//
// Rows come in the order of their Login; closes and shutdowns are held until their time comes,
// so that the records leave in time order, as the log's own do.

import * as build from '../record/build.ts';
import { uuidV5 } from '../record/name-ids.ts';
import type { Micros } from '../record/time.ts';
import type { LogRecord, RecordSource } from '../record/types.ts';
import { isMicros, isText, loginFields, type Cell } from './database-rows.ts';
import { capUtf8 } from '../pam/context.ts';

/** The columns of wtmpdb's table this import reads, in the order rows are handed over. */
export const wtmpdbColumns = ['Type', 'User', 'Login', 'Logout', 'TTY', 'RemoteHost', 'Service'] as const;

/** The query of the rows: by Login, then ID (rowid is ID, wtmpdb's INTEGER PRIMARY KEY). */
export const wtmpdbQuery = `SELECT ${wtmpdbColumns.join(', ')} FROM wtmp ORDER BY Login, rowid`;

/** wtmpdb's row types (utmp.h). */
export const WtmpdbType = { BOOT_TIME: 2, USER_PROCESS: 7 } as const;

const source: RecordSource = 'wtmpdb';

/** Rows left out (or, `badLogout`, imported without their end), by reason. */
export interface WtmpdbCounts {
  /** Type neither BOOT_TIME nor USER_PROCESS. */
  unknownType: number;
  /** A login without a user (NULL or empty). */
  noUser: number;
  /** Login not a time: NULL, not a whole number, before the epoch or after 2255. */
  badLogin: number;
  /** Logout neither unset nor a time at or after Login: the row is imported without its end. */
  badLogout: number;
  /** User, TTY, RemoteHost or Service not text. */
  notText: number;
}

/** A record due at a time, and the order it came in (ties leave in that order). */
interface Due {
  at: Micros;
  seq: number;
  record: LogRecord;
}

/** The closes and shutdowns not yet written: a binary heap, earliest first. */
class DueRecords {
  private readonly heap: Due[] = [];
  private seq = 0;

  add(at: Micros, record: LogRecord): void {
    const heap = this.heap;
    heap.push({ at, seq: this.seq++, record });
    for (let i = heap.length - 1; i > 0; ) {
      const parent = (i - 1) >> 1;
      if (!before(heap[i] as Due, heap[parent] as Due)) break;
      [heap[i], heap[parent]] = [heap[parent] as Due, heap[i] as Due];
      i = parent;
    }
  }

  /** The earliest, removed; undefined when none is due at or before `until`. */
  takeUntil(until: Micros): LogRecord | undefined {
    const heap = this.heap;
    const top = heap[0];
    if (top === undefined || top.at > until) return undefined;
    const last = heap.pop() as Due;
    if (heap.length > 0) {
      heap[0] = last;
      for (let i = 0; ; ) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < heap.length && before(heap[l] as Due, heap[m] as Due)) m = l;
        if (r < heap.length && before(heap[r] as Due, heap[m] as Due)) m = r;
        if (m === i) break;
        [heap[i], heap[m]] = [heap[m] as Due, heap[i] as Due];
        i = m;
      }
    }
    return top.record;
  }
}

const before = (a: Due, b: Due) => a.at < b.at || (a.at === b.at && a.seq < b.seq);

export class WtmpdbImporter {
  readonly counts: WtmpdbCounts = { unknownType: 0, noUser: 0, badLogin: 0, badLogout: 0, notText: 0 };
  private bootId: string;
  private readonly due = new DueRecords();

  constructor(
    private readonly options: { host: string },
    private readonly emit: (record: LogRecord) => void,
  ) {
    this.bootId = uuidV5(`${options.host}\u0000wtmpdb-boot`);
  }

  /** Takes one row: its cells in the order of wtmpdbColumns, rows in the order of wtmpdbQuery. */
  addRow(row: readonly Cell[]): void {
    const [type, user, login, logout, tty, rhost, service] = row as [Cell, Cell, Cell, Cell, Cell, Cell, Cell];
    if (type !== WtmpdbType.BOOT_TIME && type !== WtmpdbType.USER_PROCESS) {
      this.counts.unknownType++;
      return;
    }
    if (!isMicros(login)) {
      this.counts.badLogin++;
      return;
    }
    if (!isText(user) || !isText(tty) || !isText(rhost) || !isText(service)) {
      this.counts.notText++;
      return;
    }
    if (type === WtmpdbType.USER_PROCESS && (user === null || user === '')) {
      this.counts.noUser++;
      return;
    }
    let end: Micros | null = null;
    if (logout !== null && logout !== 0) {
      if (isMicros(logout) && logout >= login) end = logout;
      else this.counts.badLogout++;
    }
    this.writeDue(login);

    const { host } = this.options;
    const name = `${host}\u0000wtmpdb\u0000${JSON.stringify([type, user, login, tty, rhost, service])}`;
    const id = (what: string) => uuidV5(`${name}\u0000${what}`);
    if (type === WtmpdbType.BOOT_TIME) {
      this.bootId = id('boot_id');
      const origin = { host, boot_id: this.bootId, source };
      // The kernel release, capped as the login fields are (a hostile file's could be megabytes).
      this.emit(build.boot(origin, login, capUtf8(rhost ?? '').value, login, { event_id: id('boot') }));
      if (end !== null) this.due.add(end, build.shutdown(origin, end, { event_id: id('shutdown') }));
      return;
    }
    const origin = { host, boot_id: this.bootId, source };
    const fields = loginFields(user as string, tty, rhost, service === null || service === '' ? source : service);
    const open = build.sessionOpen(origin, fields, login, { event_id: id('open'), session_id: id('session') });
    this.emit(open);
    if (end !== null) this.due.add(end, build.sessionClose(origin, fields, end, open, { event_id: id('close') }));
  }

  /** Writes the closes and shutdowns still held. */
  finish(): void {
    this.writeDue(Number.POSITIVE_INFINITY);
  }

  private writeDue(until: Micros): void {
    for (let r = this.due.takeUntil(until); r !== undefined; r = this.due.takeUntil(until)) this.emit(r);
  }
}
