// Databases made by Debian's sqlite3, and files that are not databases, opened for an import.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, symlinkSync, writeFileSync, writeSync, closeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InputError } from '../input/input-error.ts';
import { missing } from '../../test/helpers/require.ts';
import { hasPendingWal, readDatabaseFile, SqliteFile } from './sqlite-file.ts';

const lacking = missing({ commands: ['/usr/bin/sqlite3'] });
let dir = '';
beforeAll(() => {
  dir = mkdtempSync(`${tmpdir()}/ls-sqlite-file-`);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const sqlite3 = (file: string, sql: string) => execFileSync('sqlite3', [file], { input: sql, encoding: 'utf8' });

/** The InputError `read` throws, as `code: detail`. */
function refusal(read: () => unknown): string {
  try {
    read();
  } catch (error) {
    if (error instanceof InputError) return `${error.code}: ${error.detail}`;
    throw error;
  }
  return 'read';
}

async function refusalOf(read: () => Promise<unknown>): Promise<string> {
  try {
    await read();
  } catch (error) {
    if (error instanceof InputError) return `${error.code}: ${error.detail}`;
    throw error;
  }
  return 'read';
}

describe('readDatabaseFile()', () => {
  it('refuses a symbolic link, a directory, a FIFO, an empty file, a file that is not SQLite, and one past the bound', () => {
    const sqliteHeader = Buffer.concat([Buffer.from('SQLite format 3\u0000'), Buffer.alloc(84)]);
    writeFileSync(`${dir}/db`, sqliteHeader);
    symlinkSync(`${dir}/db`, `${dir}/link`);
    mkdirSync(`${dir}/directory`);
    spawnSync('mkfifo', [`${dir}/fifo`]);
    writeFileSync(`${dir}/empty`, '');
    writeFileSync(`${dir}/text`, 'SQLite format 2\n');
    expect(readDatabaseFile(`${dir}/db`)).toEqual(sqliteHeader);
    expect(refusal(() => readDatabaseFile(`${dir}/link`))).toBe('ELOOP: a symbolic link (not followed: name the file it points to)');
    expect(refusal(() => readDatabaseFile(`${dir}/directory`))).toBe('ENOTREG: a directory, not an SQLite database file');
    expect(refusal(() => readDatabaseFile(`${dir}/fifo`))).toBe('ENOTREG: a FIFO, not an SQLite database file');
    expect(refusal(() => readDatabaseFile(`${dir}/empty`))).toBe('ENOTSQLITE: an empty file, not an SQLite database');
    expect(refusal(() => readDatabaseFile(`${dir}/text`))).toBe('ENOTSQLITE: not an SQLite database (it does not begin with "SQLite format 3")');
    expect(refusal(() => readDatabaseFile(`${dir}/db`, 99))).toBe('EFBIG: 100 bytes, more than the 99 an import reads');
    expect(refusal(() => readDatabaseFile(`${dir}/missing`))).toBe('ENOENT: no such file or directory');
  });

  it('tells a write-ahead log with changes beside a file', () => {
    writeFileSync(`${dir}/wal.db`, '');
    expect(hasPendingWal(`${dir}/wal.db`)).toBe(false);
    writeFileSync(`${dir}/wal.db-wal`, '');
    expect(hasPendingWal(`${dir}/wal.db`)).toBe(false);
    writeFileSync(`${dir}/wal.db-wal`, 'x');
    expect(hasPendingWal(`${dir}/wal.db`)).toBe(true);
  });
});

describe.skipIf(lacking)('SqliteFile', () => {
  it('reads the rows of a database sqlite3 made, and names the table or the columns a file lacks', async () => {
    const file = `${dir}/tables.db`;
    sqlite3(file, "CREATE TABLE Lastlog2(Name TEXT PRIMARY KEY, Time INTEGER, TTY TEXT, RemoteHost TEXT, Service TEXT); INSERT INTO Lastlog2 VALUES ('alice', 1772453400, 'pts/0', NULL, 'sshd'), ('bob', 0, NULL, NULL, NULL); CREATE TABLE wtmp(ID INTEGER PRIMARY KEY, Type INTEGER, User TEXT);");
    const db = await SqliteFile.open(file, readDatabaseFile(file));
    try {
      db.requireTable('lastlog2', ['Name', 'TIME', 'tty', 'RemoteHost', 'Service'], 'lastlog2');
      expect([...db.rows('SELECT * FROM Lastlog2 ORDER BY Name')]).toEqual([
        ['alice', 1772453400, 'pts/0', null, 'sshd'],
        ['bob', 0, null, null, null],
      ]);
      expect(refusal(() => db.requireTable('wtmp', ['Type', 'User', 'Login', 'Logout'], 'wtmpdb'))).toBe('ENOTABLE: its wtmp table has no column Login, Logout: not a wtmpdb database');
      expect(refusal(() => db.requireTable("x') UNION SELECT 'y", ['a'], 'wtmpdb'))).toBe("ENOTABLE: no table x') UNION SELECT 'y: not a wtmpdb database");
      expect(refusal(() => [...db.rows('SELECT * FROM absent')])).toBe('ESQLITE: not a readable SQLite database: no such table: absent');
    } finally {
      db.close();
    }
  });

  it('refuses a view, a virtual table or generated columns in the place of the table: they compute rows without end', async () => {
    const file = `${dir}/computed.db`;
    sqlite3(
      file,
      [
        'CREATE VIEW wtmp AS WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT 7 AS Type, \'u\' AS User, x AS Login, 0 AS Logout, NULL AS TTY, NULL AS RemoteHost, NULL AS Service FROM c;',
        'CREATE TABLE Lastlog2(Name TEXT, Time INTEGER GENERATED ALWAYS AS (length(Name)) VIRTUAL, TTY TEXT, RemoteHost TEXT, Service TEXT);',
        'CREATE VIRTUAL TABLE other USING fts5(x);',
      ].join('\n'),
    );
    const db = await SqliteFile.open(file, readDatabaseFile(file));
    try {
      expect(refusal(() => db.requireTable('wtmp', ['Type', 'User', 'Login'], 'wtmpdb'))).toBe('ENOTABLE: wtmp is not a plain table (a view or a virtual table): not a wtmpdb database');
      expect(refusal(() => db.requireTable('other', ['x'], 'wtmpdb'))).toBe('ENOTABLE: other is not a plain table (a view or a virtual table): not a wtmpdb database');
      expect(refusal(() => db.requireTable('Lastlog2', ['Name', 'Time'], 'lastlog2'))).toBe('ENOTABLE: its Lastlog2 table computes Time (generated columns): not a lastlog2 database');
    } finally {
      db.close();
    }
  });

  it('writes what SQLite says of a file escaped: its schema\'s own names may hold terminal controls', async () => {
    const file = `${dir}/named.db`;
    sqlite3(file, 'CREATE TABLE t(x);');
    const db = await SqliteFile.open(file, readDatabaseFile(file));
    try {
      expect(refusal(() => [...db.rows('SELECT * FROM "a\u001b]0;title\u0007"')])).toBe('ESQLITE: not a readable SQLite database: no such table: a\\e]0;title\\x07');
    } finally {
      db.close();
    }
  });

  it('turns a damaged database into an InputError naming the file', async () => {
    const file = `${dir}/damaged.db`;
    sqlite3(file, `CREATE TABLE t(x TEXT); WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 2000) INSERT INTO t SELECT printf('%0500d', i) FROM n;`);
    expect(readFileSync(file).length).toBeGreaterThan(100 * 4096);
    // Garbage over the pages of the table's b-tree (past the first pages, the schema).
    const fd = openSync(file, 'r+');
    for (let page = 3; page < 100; page += 2) writeSync(fd, Buffer.alloc(4096, 0xa5), 0, 4096, page * 4096);
    closeSync(fd);
    const db = await SqliteFile.open(file, readDatabaseFile(file));
    try {
      const error = await refusalOf(async () => [...db.rows('SELECT count(*), max(length(x)) FROM t')]);
      expect(error).toMatch(/^ESQLITE: not a readable SQLite database: (database disk image is malformed|file is not a database)/);
    } finally {
      db.close();
    }
  });
});
