// Loads records into the fleet store (`logsphere ship`). Each batch is copied into temporary
// staging tables and merged in one transaction: events by (ts, event_id), so records loaded twice
// (a relay's duplicates, a batch retried after a crash before its checkpoint moved) are stored
// once; lines that are not logsphere/1 records into the quarantine with their reason and source.
// The checkpoint (how many whole lines of which file were loaded) moves only after the commit:
// killed at any moment, the next run loads from the last commit on, and the log is the buffer.

import { createHash } from 'node:crypto';
import { closeSync, fstatSync, readSync, statSync } from 'node:fs';
import { finished } from 'node:stream/promises';
import { loadCheckpointFile, saveCheckpointFile } from '../checkpoint/checkpoint-file.ts';
import { InputError, listInputs, openInputFile, piecesOf, skippedWarning, type InputFile } from '../input/inputs.ts';
import { inputErrorOf } from '../input/input-error.ts';
import { validateRecord } from '../record/validate.ts';
import { parseTimestamp, type Micros } from '../record/time.ts';
import type { LogRecord } from '../record/types.ts';
import { silentProgress, type Progress } from '../text/progress.ts';
import type { Db } from './db.ts';

/** What the checkpoint knows of one file: its identity and how many whole lines (and bytes) were loaded. */
interface FileProgress {
  path: string;
  dev: number;
  ino: number;
  lines: number;
  /** The bytes of those lines (a plain file is read on from there). */
  offset: number;
  /** The last bytes before the offset (base64, at most 64): a file truncated and written again is read from its start. */
  before: string;
  /** A compressed segment (never changes) loaded to its end. */
  done: boolean;
}

export interface ShipCheckpoint {
  version: 1;
  files: FileProgress[];
}

function isShipCheckpoint(value: unknown): value is ShipCheckpoint {
  const v = value as Partial<ShipCheckpoint> | null;
  return (
    v?.version === 1 &&
    Array.isArray(v.files) &&
    v.files.every((f) => typeof f?.path === 'string' && Number.isSafeInteger(f.dev) && Number.isSafeInteger(f.ino) && Number.isSafeInteger(f.lines) && Number.isSafeInteger(f.offset) && typeof f.before === 'string' && typeof f.done === 'boolean')
  );
}

export function loadShipCheckpoint(path: string): ShipCheckpoint {
  return loadCheckpointFile(path, 'ship', isShipCheckpoint) ?? { version: 1, files: [] };
}

export interface ShipTotals {
  files: number;
  /** Lines read and sent (records and bad lines). */
  lines: number;
  records: number;
  /** Records the store did not have before. */
  added: number;
  quarantined: number;
  /** Inputs that could not be read (named in warnings). */
  warnings: string[];
}

/** One line of an input, as the store gets it. */
interface Line {
  text: string;
  /** The line's bytes as read, without its newline. */
  raw: Buffer;
  number: number;
  /** Where the line ends, after its newline, in bytes from where the read began. */
  end: number;
}

const batchLines = 5000;

/** A value in COPY's text format. */
function copyValue(value: string | null): string {
  if (value === null) return '\\N';
  return value.replace(/[\\\n\r\t]/g, (c) => (c === '\\' ? '\\\\' : c === '\n' ? '\\n' : c === '\r' ? '\\r' : '\\t'));
}

/** A decoded field for an indexed column: PostgreSQL's text holds no NUL (the line keeps it, escaped). */
function column(value: string | null | undefined): string | null {
  return value === null || value === undefined ? null : value.replaceAll('\u0000', '\ufffd');
}

/** A bytea value in COPY's text format (hex). */
function copyBytes(bytes: Buffer): string {
  return `\\\\x${bytes.toString('hex')}`;
}

function fieldsOf(record: LogRecord): Array<string | null> {
  const r = record as LogRecord & { session_id?: string | null; user?: string | null; rhost?: string | null };
  return [r.event_id, r.ts, column(r.host), r.event, r.session_id ?? null, column(r.user ?? null), column(r.rhost ?? null)];
}

/** The latest month the store keeps (ensure_month): five years ahead. */
function latestMonth(): string {
  const latest = new Date();
  latest.setUTCFullYear(latest.getUTCFullYear() + 5);
  return latest.toISOString().slice(0, 7);
}

/** The month of UTC of a record's time (`ts`, at `at`), when the store keeps it: 1970 to `latest`. */
function keptMonth(ts: string, at: Micros, latest: string): string | null {
  if (!Number.isFinite(at)) return null;
  // A time in UTC names its month; one with an offset is converted.
  const month = ts.endsWith('Z') && ts.length > 7 ? ts.slice(0, 7) : new Date(Math.floor(at / 1000)).toISOString().slice(0, 7);
  return month >= '1970-01' && month <= latest ? month : null;
}

type BatchResult = { records: number; added: number; quarantined: number };

/** A batch made ready for the store: its rows in COPY's text format, and what it holds. */
interface PreparedBatch {
  events: string;
  quarantine: string;
  records: number;
  quarantined: number;
  months: Set<string>;
  /** Whether it opens or closes sessions (note_sessions). */
  opensOrCloses: boolean;
}

/**
 * The rows of a batch. Lines in `refused` go to the quarantine with that reason (the store
 * refused a value of theirs: loadBatch).
 */
function prepareBatch(source: string, lines: readonly Line[], refused: ReadonlyMap<Line, string> = new Map()): PreparedBatch {
  const good: string[] = [];
  const bad: string[] = [];
  const months = new Set<string>();
  let opensOrCloses = false;
  const latest = latestMonth();
  for (const line of lines) {
    let reason: string | null = refused.get(line) ?? null;
    if (reason === null) {
      let value: unknown;
      try {
        value = JSON.parse(line.text);
      } catch {
        reason = 'not JSON';
      }
      if (reason === null) {
        const checked = validateRecord(value);
        if (checked.ok) {
          const month = keptMonth(checked.record.ts, parseTimestamp(checked.record.ts) ?? Number.NaN, latest);
          if (month !== null) {
            months.add(month);
            const record = checked.record;
            if (record.event === 'session_open' || (record.event === 'session_close' && record.session_id !== null)) opensOrCloses = true;
            good.push(`${[...fieldsOf(checked.record), line.text].map(copyValue).join('\t')}\n`);
            continue;
          }
          reason = 'ts is outside the years the store keeps (1970 to five years ahead)';
        } else reason = checked.reason;
      }
    }
    // The line as it was read, bytes and all.
    const digest = createHash('sha256').update(source).update('\n').update(line.raw).digest();
    bad.push(`${copyBytes(digest)}\t${copyValue(source)}\t${line.number}\t${copyValue(reason)}\t${copyBytes(line.raw)}\n`);
  }
  return { events: good.join(''), quarantine: bad.join(''), records: good.length, quarantined: bad.length, months, opensOrCloses };
}

/**
 * A batch's first step: a transaction begun for it, its rows copied into the session's staging
 * tables. It touches the session's own tables only, so it waits for no other transaction and none
 * waits for it: on a second connection it runs while the batch before is merged (shipOnce).
 */
async function stageBatch(db: Db, batch: PreparedBatch): Promise<void> {
  // The staging tables are the session's, emptied at each commit: made by its first batch (in
  // its transaction, as a pooler that hands each transaction its own session needs).
  await db.query(
    `BEGIN;
     CREATE TEMP TABLE IF NOT EXISTS staging_events (event_id uuid, ts timestamptz, host text, event text, session_id uuid, user_name text, rhost text, line text) ON COMMIT DELETE ROWS;
     CREATE TEMP TABLE IF NOT EXISTS staging_quarantine (digest bytea, source text, line_number bigint, reason text, line bytea) ON COMMIT DELETE ROWS`,
  );
  for (const [table, rows] of [['staging_events', batch.events], ['staging_quarantine', batch.quarantine]] as const) {
    if (rows.length === 0) continue;
    const stream = await db.copyFrom(`COPY ${table} FROM STDIN`);
    stream.end(rows);
    await finished(stream);
  }
}

/**
 * A staged batch's second step: its months made, its events and quarantined lines merged, the
 * sessions it opens or closes noted, and the commit. `meanwhile` runs while the store merges the
 * batch's events, its longest step: the next batch is prepared (and staged) then.
 */
async function mergeBatch(db: Db, batch: PreparedBatch, meanwhile: () => void): Promise<BatchResult> {
  // The months in one round trip, each YYYY-MM from a checked time (inlined), any other as a value.
  const months = [...batch.months].filter((m) => /^\d{4}-\d{2}$/.test(m));
  if (months.length > 0) await db.query(months.map((m) => `SELECT logsphere.ensure_month('${m}-01'::date)`).join(';'));
  for (const month of batch.months) if (!months.includes(month)) await db.query('SELECT logsphere.ensure_month($1::date)', [`${month}-01`]);
  const merging = db.query(
    'INSERT INTO logsphere.events (event_id, ts, host, event, session_id, user_name, rhost, line) SELECT event_id, ts, host, event, session_id, user_name, rhost, line FROM staging_events ON CONFLICT DO NOTHING',
  );
  // A rejection is taken by the await below; this only keeps it from being reported as unhandled meanwhile.
  merging.catch(() => {});
  meanwhile();
  const added = await merging;
  if (batch.quarantined > 0) {
    await db.query('INSERT INTO logsphere.quarantine (digest, source, line_number, reason, line) SELECT DISTINCT ON (digest) digest, source, line_number, reason, line FROM staging_quarantine ORDER BY digest, line_number ON CONFLICT DO NOTHING');
  }
  if (batch.opensOrCloses) {
    // The batch's opens and named closes by their keys (the store takes their records from
    // events), gathered where they already are. Its boots, shutdowns and closes without a
    // session id the store keeps itself, as they are inserted.
    const open = "FILTER (WHERE event = 'session_open' AND session_id IS NOT NULL)";
    const close = "FILTER (WHERE event = 'session_close' AND session_id IS NOT NULL)";
    await db.query(
      `SELECT logsphere.note_sessions(
         coalesce(array_agg(session_id) ${open}, '{}'), coalesce(array_agg(event_id) ${open}, '{}'), coalesce(array_agg(ts) ${open}, '{}'),
         coalesce(array_agg(event_id) ${close}, '{}'), coalesce(array_agg(ts) ${close}, '{}'))
       FROM staging_events`,
    );
  }
  await db.query('COMMIT');
  return { records: batch.records, added: added.rowCount ?? 0, quarantined: batch.quarantined };
}

/** Loads one prepared batch in one transaction on `db`: both steps, or the merge of a batch `staged` there already. */
async function commitBatch(db: Db, batch: PreparedBatch, meanwhile: () => void = () => {}, staged = false): Promise<BatchResult> {
  try {
    if (!staged) await stageBatch(db, batch);
    return await mergeBatch(db, batch, meanwhile);
  } catch (error) {
    await db.query('ROLLBACK').catch(() => {});
    throw error;
  }
}

/** An error about a value the store could not take (SQLSTATE classes 22 and 54), not about the store. */
function refusedValue(error: unknown): string | null {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code !== 'string' || !(code.startsWith('22') || code.startsWith('54'))) return null;
  return error instanceof Error ? error.message : String(error);
}

/**
 * Loads one batch (`prepared`: its rows, made already; `staged`: copied on `db` already, in an
 * open transaction). A value the store cannot take (a record valid as logsphere/1 that PostgreSQL
 * refuses: a host too long for its index, a time it cannot hold) must not stop the log: the batch
 * is halved until the line is found, which goes to the quarantine with the store's reason.
 */
async function loadBatch(db: Db, source: string, lines: readonly Line[], prepared: PreparedBatch = prepareBatch(source, lines), meanwhile?: () => void, staged = false): Promise<BatchResult> {
  try {
    return await commitBatch(db, prepared, meanwhile, staged);
  } catch (error) {
    const refused = refusedValue(error);
    if (refused === null) throw error;
    if (lines.length === 1) return commitBatch(db, prepareBatch(source, lines, new Map([[lines[0] as Line, `the store refused it: ${refused}`]])));
    const half = lines.length >> 1;
    const first = await loadBatch(db, source, lines.slice(0, half));
    const second = await loadBatch(db, source, lines.slice(half));
    return { records: first.records + second.records, added: first.added + second.added, quarantined: first.quarantined + second.quarantined };
  }
}

/** The (at most 64) bytes of a file before `offset`, base64. */
function bytesBefore(fd: number, offset: number): string {
  const length = Math.min(64, offset);
  const bytes = Buffer.alloc(length);
  let got = 0;
  for (let n = -1; n !== 0 && got < length; got += n) n = readSync(fd, bytes, got, length - got, offset - length + got);
  return bytes.subarray(0, got).toString('base64');
}

/**
 * One input's whole lines after `skip` bytes, a batch at a time (a last line without its newline
 * is left for later): a file of any size costs a batch of lines in memory, not all of them.
 */
class LineReader {
  private readonly pieces: Iterator<Buffer>;
  /** Bytes after the last whole line taken. */
  private rest: Buffer = Buffer.alloc(0);
  private ended = false;
  /** What stopped the read (a damaged input), thrown once the lines before it are taken. */
  private failure: unknown = null;
  /** The bytes of the whole lines taken, from where the read began. */
  bytes = 0;
  /** The lines taken (blank ones too). */
  count = 0;

  constructor(
    file: InputFile,
    fd: number,
    skip: number,
    private readonly firstNumber: number,
  ) {
    this.pieces = skip > 0 ? appended(file.path, fd, skip) : piecesOf(file, fd);
  }

  /**
   * Up to `max` lines that are not blank; null when none is left. A read that fails gives the
   * lines before the failure first, and throws at the next call.
   */
  next(max: number): Line[] | null {
    for (;;) {
      const lines = this.take(max);
      if (lines.length > 0) return lines;
      if (this.ended && this.rest.indexOf(0x0a) < 0) {
        if (this.failure !== null) throw this.failure;
        return null;
      }
      // Only blank lines so far: on to the next ones.
    }
  }

  /** Stops reading (a compressed input's thread ends), wherever the read is. */
  close(): void {
    this.pieces.return?.();
  }

  /** Up to `max` lines that are not blank, from enough bytes for `max` lines or all there is. */
  private take(max: number): Line[] {
    const parts = [this.rest];
    let newlines = 0;
    for (let at = this.rest.indexOf(0x0a); at >= 0; at = this.rest.indexOf(0x0a, at + 1)) newlines++;
    while (newlines < max && !this.ended) {
      let piece: IteratorResult<Buffer>;
      try {
        piece = this.pieces.next();
      } catch (error) {
        this.failure = error;
        this.ended = true;
        break;
      }
      if (piece.done === true) {
        this.ended = true;
        break;
      }
      // A copy: a plain file's pieces are read into one buffer over and over.
      const copy = Buffer.from(piece.value);
      parts.push(copy);
      for (let at = copy.indexOf(0x0a); at >= 0; at = copy.indexOf(0x0a, at + 1)) newlines++;
    }
    const data = parts.length === 1 ? this.rest : Buffer.concat(parts);
    const lines: Line[] = [];
    let start = 0;
    for (let stop = data.indexOf(0x0a); stop >= 0 && lines.length < max; start = stop + 1, stop = data.indexOf(0x0a, start)) {
      this.count++;
      let text = data.toString('utf8', start, stop);
      if (text.endsWith('\r')) text = text.slice(0, -1);
      if (text.trim() === '') continue;
      lines.push({ text, raw: data.subarray(start, stop), number: this.firstNumber + this.count - 1, end: this.bytes + stop + 1 });
    }
    this.bytes += start;
    this.rest = data.subarray(start);
    return lines;
  }
}

/** The batch after the one being merged, read and prepared meanwhile; or the error reading it met. */
type Ahead = { lines: Line[] | null; prepared: PreparedBatch | null } | { error: unknown };

/** A plain file's bytes from `skip` on (what was appended since the last load). */
function* appended(path: string, fd: number, skip: number): Generator<Buffer> {
  const chunk = Buffer.allocUnsafe(1 << 16);
  for (let at = skip; ; ) {
    let n: number;
    try {
      n = readSync(fd, chunk, 0, chunk.length, at);
    } catch (error) {
      throw inputErrorOf(path, error);
    }
    if (n === 0) return;
    at += n;
    yield chunk.subarray(0, n);
  }
}

/** A batch staged on a connection (stageBatch), or what staging it met. */
interface Staged {
  db: Db;
  error: unknown;
}

/**
 * Loads what the inputs hold beyond the checkpoint at `checkpointPath` into the store, batch by
 * batch, saving the checkpoint after each commit. `source` names this shipper's inputs in the
 * quarantine (the host and the path).
 *
 * With `openSecond`, a load of more than one batch takes a second connection (opened when a
 * second batch is there, closed at the end): while one batch is merged on one connection, the
 * next is staged on the other, and merged there once the first has committed. The merges, and
 * so the checkpoint, keep the order of the batches; a second connection that cannot be had or
 * fails leaves the load to the first.
 */
export async function shipOnce(db: Db, paths: readonly string[], checkpointPath: string, source: string, shown: Progress = silentProgress, openSecond: (() => Promise<Db>) | null = null): Promise<ShipTotals> {
  const held: { second: Promise<Db | null> | null } = { second: null };
  const second: SecondConnection = {
    get: () => (held.second ??= openSecond === null ? Promise.resolve(null) : openSecond().catch(() => null)),
    drop: async () => {
      const opened = await held.second;
      held.second = Promise.resolve(null);
      // Ends a staged transaction left by a failure, with the connection.
      await opened?.end().catch(() => {});
    },
  };
  try {
    return await shipFiles(db, paths, checkpointPath, source, shown, second);
  } finally {
    await second.drop();
  }
}

/** The second connection of a load: opened on first use; once dropped, none. */
interface SecondConnection {
  get(): Promise<Db | null>;
  drop(): Promise<void>;
}

async function shipFiles(db: Db, paths: readonly string[], checkpointPath: string, source: string, shown: Progress, second: SecondConnection): Promise<ShipTotals> {
  const checkpoint = loadShipCheckpoint(checkpointPath);
  const totals: ShipTotals = { files: 0, lines: 0, records: 0, added: 0, quarantined: 0, warnings: [] };
  const { files, skipped } = listInputs(paths);
  for (const s of skipped) totals.warnings.push(skippedWarning(s));
  const kept: FileProgress[] = [];
  // Progress in bytes of the files as they are on disk (a compressed segment's own size).
  const sizes = files.map((f) => f.segment?.size ?? sizeOf(f.path));
  const total = sizes.reduce((a, b) => a + b, 0);
  let before = 0;
  try {
    for (const [k, file] of files.entries()) {
      const size = sizes[k] as number;
      shown.report(before, total, file.path);
      before += size;
      let fd: number;
      try {
        fd = openInputFile(file);
      } catch (error) {
        totals.warnings.push(error instanceof Error ? error.message : String(error));
        continue;
      }
      try {
        const st = fstatSync(fd);
        const known = checkpoint.files.find((f) => f.dev === st.dev && f.ino === st.ino);
        const compressed = file.path.endsWith('.gz');
        if (known?.done) {
          kept.push({ ...known, path: file.path });
          continue;
        }
        // A plain file that only grew is read on from the last load; anything else from its start
        // (what was loaded before is loaded again, and changes nothing).
        const resume = known !== undefined && !compressed && file.path !== '-' && st.size >= known.offset && bytesBefore(fd, known.offset) === known.before ? known : null;
        totals.files++;
        const base = { lines: resume?.lines ?? 0, offset: resume?.offset ?? 0 };
        const progress: FileProgress = { path: file.path, dev: st.dev, ino: st.ino, ...base, before: resume?.before ?? '', done: false };
        const plain = !compressed && file.path !== '-';
        const others = checkpoint.files.filter((f) => !(f.dev === st.dev && f.ino === st.ino));
        const from = `${source}:${file.path}`;
        const reader = new LineReader(file, fd, base.offset, base.lines + 1);
        try {
          // Each batch's successor is read and made ready while the store merges it; a read that
          // fails there fails after the merge's commit, so what came before the damage is loaded.
          let batch = reader.next(batchLines);
          let prepared = batch === null ? null : prepareBatch(from, batch);
          // The batch's rows staged already on a connection, by the iteration before.
          const pending: { staging: Promise<Staged | null> | null } = { staging: null };
          while (batch !== null && prepared !== null) {
            const ahead: { read: Ahead | null } = { read: null };
            const readAhead = (): Ahead => {
              try {
                const lines = reader.next(batchLines);
                return (ahead.read = { lines, prepared: lines === null ? null : prepareBatch(from, lines) });
              } catch (error) {
                return (ahead.read = { error });
              }
            };
            const staged = await pending.staging;
            pending.staging = null;
            // Merged where it was staged. Where staging failed, loaded afresh on the first connection
            // (the second is given up).
            if (staged !== null && staged.error !== null) {
              await staged.db.query('ROLLBACK').catch(() => {});
              if (staged.db !== db) await second.drop();
            }
            const isStaged = staged !== null && staged.error === null;
            const here = isStaged ? staged.db : db;
            // While this batch merges, the next is read, made ready and staged on the other connection.
            const meanwhile = () => {
              const read = readAhead();
              if ('error' in read || read.prepared === null) return;
              const next = read.prepared;
              pending.staging = (async () => {
                const other = here === db ? await second.get() : db;
                if (other === null) return null;
                try {
                  await stageBatch(other, next);
                  return { db: other, error: null };
                } catch (error) {
                  return { db: other, error: error ?? new Error('staging failed') };
                }
              })();
            };
            const r = await loadBatch(here, from, batch, prepared, meanwhile, isStaged);
            totals.lines += batch.length;
            totals.records += r.records;
            totals.added += r.added;
            totals.quarantined += r.quarantined;
            const last = batch[batch.length - 1] as Line;
            progress.lines = last.number;
            progress.offset = base.offset + last.end;
            progress.before = plain ? bytesBefore(fd, progress.offset) : '';
            checkpoint.files = [...others, ...kept, progress];
            saveCheckpointFile(checkpointPath, checkpoint);
            // A plain file's part loaded, by its bytes; a compressed one says where it is at its end.
            if (plain) shown.report(before - size + Math.min(size, progress.offset), total, file.path);
            // Not read during the merge when the store refused a line of the batch (loaded in halves).
            const upcoming = ahead.read ?? readAhead();
            if ('error' in upcoming) throw upcoming.error;
            batch = upcoming.lines;
            prepared = upcoming.prepared;
          }
        } catch (error) {
          // A damaged input: what it holds after the damage is not loaded (the whole read names it).
          if (!(error instanceof InputError)) throw error;
          totals.warnings.push(error.message);
          kept.push(progress);
          continue;
        } finally {
          reader.close();
        }
        progress.lines = base.lines + reader.count;
        progress.offset = base.offset + reader.bytes;
        progress.before = plain ? bytesBefore(fd, progress.offset) : '';
        progress.done = compressed;
        kept.push(progress);
      } finally {
        if (fd !== 0) closeSync(fd);
      }
    }
  } finally {
    shown.end();
  }
  // Files gone from the inputs are forgotten; those still there keep their progress.
  checkpoint.files = kept;
  saveCheckpointFile(checkpointPath, checkpoint);
  return totals;
}

/** A file's size; 0 when it cannot be had (standard input; the load names what it cannot open). */
function sizeOf(path: string): number {
  try {
    return path === '-' ? 0 : statSync(path).size;
  } catch {
    return 0;
  }
}
