// The spool: records that could not be appended to the log (read-only or full disk, EACCES,
// a refused path) wait in RUN_DIR/spool, one file per record, until the next successful append
// takes them, oldest first, and writes them ahead of its own record. The run directory is a
// local tmpfs, so these calls are synchronous; a claim is a rename, so two hooks never both take
// the same record. A spooled entry is appended only when it is one `logsphere/1` record, and then
// re-encoded as the writer encodes records; anything else is moved aside to spool/rejected and
// counted, never appended.

import { fs } from '../sys/fs.ts';
import { toLine } from '../record/build.ts';
import { parseRecordLine } from '../record/validate.ts';
import { ensureOwnDirSync, writeFileAtomicSync } from './atomic-file.ts';
import { errorCode } from './errors.ts';

const { closeSync, constants, openSync, readdirSync, readFileSync, renameSync, unlinkSync } = fs;

const { O_NOFOLLOW, O_NONBLOCK, O_RDONLY } = constants;

/** A record is under 8 KiB; a spool entry larger than this is not one. */
const maxEntryBytes = 64 * 1024;

export function spoolDirOf(runDir: string): string {
  return `${runDir}/spool`;
}

/** Keeps lines for later. `order` sorts spooled records (the record's time in microseconds). */
export function spoolLines(runDir: string, entries: ReadonlyArray<{ order: number; id: string; line: string }>): void {
  ensureOwnDirSync(runDir, 0o755);
  const dir = spoolDirOf(runDir);
  ensureOwnDirSync(dir, 0o700);
  for (const entry of entries) {
    const name = `${String(entry.order).padStart(17, '0')}-${entry.id}.jsonl`;
    writeFileAtomicSync(dir, name, entry.line, 0o600);
  }
}

export function rejectedDirOf(runDir: string): string {
  return `${spoolDirOf(runDir)}/rejected`;
}

export interface ClaimedSpool {
  /** Spooled lines, oldest first, ready to be written ahead of a new record. */
  text: string;
  /** Entries that were not one `logsphere/1` record: moved to spool/rejected, not appended. */
  rejected: number;
  /** Remove the claimed files once their lines are in the log. */
  commit(): void;
  /** Put the claimed files back for a later writer. */
  release(): void;
}

const claimPattern = /^\.claimed-(\d+)-(.+\.jsonl)$/;

/** True when a claim's owner has died (a crash or a kill mid-append): its records wait again. */
function claimIsStale(pid: number): boolean {
  if (pid === process.pid) return false;
  try {
    process.kill(pid, 0);
    return false;
  } catch (error) {
    return errorCode(error) === 'ESRCH';
  }
}

interface Waiting {
  /** The record's own spool name (sorts oldest first). */
  name: string;
  /** The file's current name in the spool directory. */
  file: string;
}

function waitingRecords(runDir: string): Waiting[] {
  let names: string[];
  try {
    // Usually there is no spool: an lstat says so, and every append (every login) is spared
    // compiling node's readdirSync.
    fs.lstatSync(spoolDirOf(runDir));
    names = readdirSync(spoolDirOf(runDir));
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return [];
    throw error;
  }
  const waiting: Waiting[] = [];
  for (const file of names) {
    if (!file.endsWith('.jsonl')) continue;
    if (!file.startsWith('.')) {
      waiting.push({ name: file, file });
      continue;
    }
    const claim = claimPattern.exec(file);
    if (claim && claimIsStale(Number(claim[1]))) waiting.push({ name: claim[2] as string, file });
  }
  return waiting.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** Names of the records waiting in the spool, oldest first (empty when there is no spool). */
export function spooledNames(runDir: string): string[] {
  return waitingRecords(runDir).map((w) => w.name);
}

/**
 * The line to append for a claimed entry: its record re-encoded, or null when the entry is not
 * a regular file holding exactly one valid `logsphere/1` record.
 */
function recordLine(path: string): string | null {
  let fd: number;
  try {
    fd = openSync(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK);
  } catch (error) {
    if (errorCode(error) === 'ELOOP') return null;
    throw error;
  }
  let text: string;
  try {
    const st = fs.fstatSync(fd);
    if (!st.isFile() || st.size > maxEntryBytes) return null;
    text = readFileSync(fd, 'utf8');
  } finally {
    closeSync(fd);
  }
  const body = text.endsWith('\n') ? text.slice(0, -1) : text;
  if (body.includes('\n')) return null;
  const record = parseRecordLine(body);
  return record === null ? null : toLine(record);
}

/** Moves an entry that is not a record out of the way, keeping it for an administrator to see. */
function rejectEntry(runDir: string, claim: string, name: string): void {
  const dir = rejectedDirOf(runDir);
  ensureOwnDirSync(dir, 0o700);
  renameSync(claim, `${dir}/${name}`);
}

/** How many spool entries were refused as not being records (for `doctor`). */
export function rejectedCount(runDir: string): number {
  try {
    return readdirSync(rejectedDirOf(runDir)).length;
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return 0;
    throw error;
  }
}

/** Takes every waiting record; null when the spool is empty. */
export function claimSpool(runDir: string): ClaimedSpool | null {
  const waiting = waitingRecords(runDir);
  if (waiting.length === 0) return null;
  const dir = spoolDirOf(runDir);
  const claimed: Array<{ name: string; claim: string }> = [];
  let text = '';
  let rejected = 0;
  for (const { name, file } of waiting) {
    const claim = `${dir}/.claimed-${process.pid}-${name}`;
    try {
      renameSync(`${dir}/${file}`, claim);
    } catch (error) {
      if (errorCode(error) === 'ENOENT') continue; // another writer took it
      throw error;
    }
    const line = recordLine(claim);
    if (line === null) {
      rejectEntry(runDir, claim, name);
      rejected++;
      continue;
    }
    claimed.push({ name, claim });
    text += line;
  }
  if (claimed.length === 0 && rejected === 0) return null;
  return {
    text,
    rejected,
    commit() {
      for (const c of claimed) unlinkSync(c.claim);
    },
    release() {
      for (const c of claimed) renameSync(c.claim, `${dir}/${c.name}`);
    },
  };
}
