// What the wtmpdb and lastlog2 imports share: reading a row's cells (SQLite gives numbers,
// strings, bytes or NULL, whatever the column was declared as) and making the login fields of a
// record from them, capped as the hook caps them.

import { capUtf8 } from '../pam/context.ts';
import type * as build from '../record/build.ts';
import type { Micros } from '../record/time.ts';

/** A cell of a row as sql.js gives it: INTEGER and REAL as numbers, TEXT as strings, BLOB as bytes. */
export type Cell = number | string | Uint8Array | null;

/** Whether a cell is text or NULL (a number or bytes where text belongs makes the row malformed). */
export function isText(cell: Cell): cell is string | null {
  return cell === null || typeof cell === 'string';
}

/** Microseconds since the epoch: a whole number after the epoch that a double holds exactly (before 2255). */
export function isMicros(cell: Cell): cell is Micros {
  return typeof cell === 'number' && Number.isSafeInteger(cell) && cell > 0;
}

/** The login fields of a record, each text capped at 256 bytes (and named in `truncated` then). */
export function loginFields(user: string, tty: string | null, rhost: string | null, service: string): build.Login {
  const truncated: string[] = [];
  const cap = (value: string, field: string) => {
    const c = capUtf8(value);
    if (c.cut) truncated.push(field);
    return c.value;
  };
  // PAM modules strip /dev/ from PAM_TTY; a file written by other means may still carry it.
  const line = tty === null || tty === '' ? null : tty.startsWith('/dev/') ? tty.slice(5) || null : tty;
  return {
    user: cap(user, 'user'),
    uid: null,
    tty: line === null ? null : cap(line, 'tty'),
    rhost: rhost === null || rhost === '' ? null : cap(rhost, 'rhost'),
    ruser: null,
    service: cap(service, 'service'),
    pid: 0,
    pid_start: 0,
    truncated,
  };
}

/** `1 row`, `2 rows`; `things` when the plural is not `thing` + s. */
export function counted(n: number, thing: string, things = `${thing}s`): string {
  return `${n} ${n === 1 ? thing : things}`;
}
