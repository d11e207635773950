// The SQLite files of wtmpdb and lastlog2, opened for an import. The file is read here — never
// through a symbolic link, never past a size bound, checked to be SQLite — and its bytes are handed
// to sql.js, which holds the database in memory: nothing the file names (a journal, another file)
// is opened, and nothing is written. What cannot be read is an InputError naming the file.

import { escapeText } from '../text/terminal.ts';
import type { Database, SqlValue } from 'sql.js';
import { InputError, inputErrorOf } from '../input/input-error.ts';
import { describeFileType, errorCode } from '../store/errors.ts';
import { fs } from '../sys/fs.ts';
import { loadSqlJs } from './load-sql-js.ts';

export type { SqlValue };

/**
 * The largest database an import reads: it is held in memory twice (read, then sql.js's copy).
 * wtmpdb rotates its database monthly (wtmpdb-rotate.timer); a year of a busy host's logins is a
 * few tens of MiB.
 */
export const maxDatabaseBytes = 256 * 1024 * 1024;

const header = 'SQLite format 3\u0000';

/** The bytes of the SQLite file at `path`: a regular file, not a link, at most `maxBytes` long. */
export function readDatabaseFile(path: string, maxBytes = maxDatabaseBytes): Buffer {
  const { O_RDONLY, O_NOFOLLOW, O_NONBLOCK } = fs.constants;
  let fd: number;
  try {
    fd = fs.openSync(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK);
  } catch (error) {
    if (errorCode(error) === 'ELOOP') throw new InputError(path, 'ELOOP', 'a symbolic link (not followed: name the file it points to)');
    throw inputErrorOf(path, error);
  }
  try {
    const st = fs.fstatSync(fd);
    if (!st.isFile()) throw new InputError(path, 'ENOTREG', `${describeFileType(st.mode)}, not an SQLite database file`);
    if (st.size > maxBytes) throw new InputError(path, 'EFBIG', `${st.size} bytes, more than the ${maxBytes} an import reads`);
    const bytes = Buffer.alloc(st.size);
    let length = 0;
    while (length < bytes.length) {
      const n = fs.readSync(fd, bytes, length, bytes.length - length, length);
      if (n === 0) break;
      length += n;
    }
    if (length === 0) throw new InputError(path, 'ENOTSQLITE', 'an empty file, not an SQLite database');
    if (length < header.length || bytes.toString('latin1', 0, header.length) !== header) {
      throw new InputError(path, 'ENOTSQLITE', 'not an SQLite database (it does not begin with "SQLite format 3")');
    }
    return bytes.subarray(0, length);
  } catch (error) {
    if (error instanceof InputError) throw error;
    throw inputErrorOf(path, error);
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * Whether SQLite has changes of the file not yet written into it: a write-ahead log beside it
 * (`FILE-wal`, not empty). They are not read (sql.js reads the file's bytes only).
 */
export function hasPendingWal(path: string): boolean {
  try {
    const st = fs.lstatSync(`${path}-wal`);
    return st.isFile() && st.size > 0;
  } catch {
    return false;
  }
}

/** A database opened from a file's bytes, to read one table of. */
export class SqliteFile {
  private constructor(
    readonly path: string,
    private readonly db: Database,
  ) {}

  /** Opens the bytes of `path` (readDatabaseFile) with sql.js. */
  static async open(path: string, bytes: Uint8Array): Promise<SqliteFile> {
    const sql = await loadSqlJs();
    return new SqliteFile(path, new sql.Database(bytes));
  }

  /**
   * Checks that `table` exists with `columns` (SQLite compares names without case), else throws an
   * InputError that says what the file lacks; `tool` names the program whose database it should be.
   */
  requireTable(table: string, columns: readonly string[], tool: string): void {
    const literal = `'${table.replace(/'/g, "''")}'`;
    // A plain table: a view (or a virtual table) of that name could compute its rows without end.
    const kinds = [...this.rows(`SELECT type, sql FROM sqlite_schema WHERE name = ${literal} COLLATE NOCASE`)];
    if (kinds.length === 0) throw new InputError(this.path, 'ENOTABLE', `no table ${table}: not a ${tool} database`);
    const [type, sql] = kinds[0] as SqlValue[];
    if (type !== 'table' || (typeof sql === 'string' && /^\s*CREATE\s+VIRTUAL\b/i.test(sql))) {
      throw new InputError(this.path, 'ENOTABLE', `${table} is not a plain table (a view or a virtual table): not a ${tool} database`);
    }
    // Stored columns only: a generated column is computed at every read.
    const names = new Map<string, boolean>();
    for (const row of this.rows(`SELECT name, hidden FROM pragma_table_xinfo(${literal})`)) {
      if (typeof row[0] === 'string') names.set(row[0].toLowerCase(), row[1] !== 0);
    }
    const lacking = columns.filter((c) => !names.has(c.toLowerCase()));
    if (lacking.length > 0) throw new InputError(this.path, 'ENOTABLE', `its ${table} table has no column ${lacking.join(', ')}: not a ${tool} database`);
    const computed = columns.filter((c) => names.get(c.toLowerCase()) === true);
    if (computed.length > 0) throw new InputError(this.path, 'ENOTABLE', `its ${table} table computes ${computed.join(', ')} (generated columns): not a ${tool} database`);
  }

  /** The rows of a query, one at a time. SQLite's errors (a damaged file) are InputErrors. */
  *rows(query: string): Generator<SqlValue[]> {
    let statement;
    try {
      statement = this.db.prepare(query);
    } catch (error) {
      throw this.unreadable(error);
    }
    try {
      for (;;) {
        let more: boolean;
        try {
          more = statement.step();
        } catch (error) {
          throw this.unreadable(error);
        }
        if (!more) return;
        yield statement.get();
      }
    } finally {
      statement.free();
    }
  }

  close(): void {
    this.db.close();
  }

  private unreadable(error: unknown): InputError {
    // SQLite's message can quote the file's own text (a name in its schema): escaped, it reaches no terminal raw.
    const message = escapeText(error instanceof Error ? error.message : String(error));
    return new InputError(this.path, 'ESQLITE', `not a readable SQLite database: ${message}`);
  }
}
