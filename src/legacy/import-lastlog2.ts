// lastlog2's database (util-linux; its `Lastlog2` table) as `logsphere/1` records. lastlog2 keeps
// one row per user: Name, Time (seconds since the epoch; 0 once cleared), TTY, RemoteHost and
// Service (the PAM service) of their last login, and nothing of how that login ended.
//
// Each row becomes what is known: one session_open at the last login, with no close. Nothing
// in `logsphere/1` says "its end is unknown", so a reader treats it as any imported login without
// an end (an imported utmp session, a wtmp login never closed): open until the records read hold
// a later boot of the host, then ended by that boot (`crash`, or `down` after a recorded
// shutdown). The entries carry their own source, `lastlog2`, and one name-based boot per host
// that stands for "unknown", as in the other imports that lack boots. `lastlog` reads them as
// the last logins they are.
//
// Ids are name-based (UUIDv5 of the host and the row's content): the same file imported twice
// gives the same records; a newer copy adds a record for each user who logged in since, and the
// older last login stays in the history, as the login it was.

import * as build from '../record/build.ts';
import { uuidV5 } from '../record/name-ids.ts';
import type { LogRecord, RecordSource } from '../record/types.ts';
import { isMicros, isText, loginFields, type Cell } from './database-rows.ts';

/** The columns of lastlog2's table this import reads, in the order rows are handed over. */
export const lastlog2Columns = ['Name', 'Time', 'TTY', 'RemoteHost', 'Service'] as const;

/** The query of the rows: by time of the login, then user. */
export const lastlog2Query = `SELECT ${lastlog2Columns.join(', ')} FROM Lastlog2 ORDER BY Time, Name`;

const source: RecordSource = 'lastlog2';

/** Rows left out, by reason. */
export interface Lastlog2Counts {
  /** Time 0: the entry was cleared (`lastlog2 --clear`) or the user never logged in. */
  noLogin: number;
  /** Name NULL or empty. */
  noUser: number;
  /** Time not a time: NULL, not a whole number, before the epoch or after 2255. */
  badTime: number;
  /** Name, TTY, RemoteHost or Service not text. */
  notText: number;
}

export class Lastlog2Importer {
  readonly counts: Lastlog2Counts = { noLogin: 0, noUser: 0, badTime: 0, notText: 0 };
  private readonly bootId: string;

  constructor(
    private readonly options: { host: string },
    private readonly emit: (record: LogRecord) => void,
  ) {
    this.bootId = uuidV5(`${options.host}\u0000lastlog2-boot`);
  }

  /** Takes one row: its cells in the order of lastlog2Columns. */
  addRow(row: readonly Cell[]): void {
    const [name, time, tty, rhost, service] = row as [Cell, Cell, Cell, Cell, Cell];
    if (!isText(name) || !isText(tty) || !isText(rhost) || !isText(service)) {
      this.counts.notText++;
      return;
    }
    if (name === null || name === '') {
      this.counts.noUser++;
      return;
    }
    if (time === 0) {
      this.counts.noLogin++;
      return;
    }
    const at = typeof time === 'number' ? time * 1e6 : null;
    if (!Number.isSafeInteger(time) || !isMicros(at)) {
      this.counts.badTime++;
      return;
    }
    const { host } = this.options;
    const id = (what: string) => uuidV5(`${host}\u0000lastlog2\u0000${JSON.stringify([name, time, tty, rhost, service])}\u0000${what}`);
    const origin = { host, boot_id: this.bootId, source };
    const fields = loginFields(name, tty, rhost, service === null || service === '' ? source : service);
    this.emit(build.sessionOpen(origin, fields, at, { event_id: id('open'), session_id: id('session') }));
  }
}
