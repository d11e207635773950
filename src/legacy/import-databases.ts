// Runs an import of SQLite databases — wtmpdb's logins and boots, lastlog2's last logins — and
// writes the records as `logsphere/1` lines, to standard output or appended to an output file.
// sql.js (src/legacy/load-sql-js.ts) is loaded by these imports only, when the first file is open.

import { toLine } from '../record/build.ts';
import type { LogRecord } from '../record/types.ts';
import { fs } from '../sys/fs.ts';
import { counted } from './database-rows.ts';
import type { ImportOutput } from './import-runner.ts';
import { Lastlog2Importer, lastlog2Columns, lastlog2Query } from './import-lastlog2.ts';
import { WtmpdbImporter, wtmpdbColumns, wtmpdbQuery } from './import-wtmpdb.ts';
import { hasPendingWal, readDatabaseFile, SqliteFile } from './sqlite-file.ts';

export type DatabaseKind = 'wtmpdb' | 'lastlog2';

export interface DatabaseImportRequest {
  kind: DatabaseKind;
  files: string[];
  /** The host the files come from. */
  host: string;
  /** Append the records to this file instead of standard output. */
  output: string | null;
}

/** Lines are handed over this many at a time. */
const batchLines = 4096;

/** Imports each file in turn; a file that cannot be read stops the import (an InputError). */
export async function importDatabases(request: DatabaseImportRequest, out: ImportOutput): Promise<void> {
  const { O_WRONLY, O_APPEND, O_CREAT, O_NOFOLLOW } = fs.constants;
  const fd = request.output === null ? null : fs.openSync(request.output, O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW, 0o640);
  const write = (bytes: Buffer) => {
    if (fd === null) out.stdout(bytes);
    else for (let at = 0; at < bytes.length; ) at += fs.writeSync(fd, bytes, at, bytes.length - at);
  };
  try {
    for (const file of request.files) await importDatabase(file, request, out.warn, write);
  } finally {
    if (fd !== null) fs.closeSync(fd);
  }
}

async function importDatabase(file: string, request: DatabaseImportRequest, warn: (message: string) => void, write: (bytes: Buffer) => void): Promise<void> {
  const bytes = readDatabaseFile(file);
  if (hasPendingWal(file)) warn(`${file}-wal holds changes not yet written into ${file}: they are not imported (import a copy made with sqlite3 ${file} ".backup COPY")`);
  const db = await SqliteFile.open(file, bytes);
  let lines: string[] = [];
  const emit = (record: LogRecord) => {
    lines.push(toLine(record));
    if (lines.length >= batchLines) {
      write(Buffer.from(lines.join('')));
      lines = [];
    }
  };
  try {
    if (request.kind === 'wtmpdb') {
      db.requireTable('wtmp', wtmpdbColumns, 'wtmpdb');
      const importer = new WtmpdbImporter({ host: request.host }, emit);
      for (const row of db.rows(wtmpdbQuery)) importer.addRow(row);
      importer.finish();
      const c = importer.counts;
      if (c.unknownType > 0) warn(`skipped ${counted(c.unknownType, 'row')} of unknown type (neither BOOT_TIME nor USER_PROCESS) in ${file}`);
      if (c.badLogin > 0) warn(`skipped ${counted(c.badLogin, 'row')} whose Login is not a time in ${file}`);
      if (c.notText > 0) warn(`skipped ${counted(c.notText, 'row')} with a User, TTY, RemoteHost or Service that is not text in ${file}`);
      if (c.noUser > 0) warn(`skipped ${counted(c.noUser, 'login')} without a user in ${file}`);
      if (c.badLogout > 0) warn(`imported ${counted(c.badLogout, 'row')} of ${file} without their end: their Logout is not a time at or after their Login`);
    } else {
      db.requireTable('Lastlog2', lastlog2Columns, 'lastlog2');
      const importer = new Lastlog2Importer({ host: request.host }, emit);
      for (const row of db.rows(lastlog2Query)) importer.addRow(row);
      const c = importer.counts;
      if (c.notText > 0) warn(`skipped ${counted(c.notText, 'entry', 'entries')} with a Name, TTY, RemoteHost or Service that is not text in ${file}`);
      if (c.noUser > 0) warn(`skipped ${counted(c.noUser, 'entry', 'entries')} without a user in ${file}`);
      if (c.badTime > 0) warn(`skipped ${counted(c.badTime, 'entry', 'entries')} whose Time is not a time in ${file}`);
      if (c.noLogin > 0) warn(`left out ${counted(c.noLogin, 'entry', 'entries')} of ${file} that hold no login (Time 0: cleared, or never logged in)`);
    }
  } finally {
    db.close();
    if (lines.length > 0) write(Buffer.from(lines.join('')));
  }
}
