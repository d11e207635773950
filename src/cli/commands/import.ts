// `logsphere import wtmp|btmp|utmp|authlog|logsphere-v2 FILE...`: legacy accounting files and
// logs as `logsphere/1` records, on standard output or appended to --output.

import { closeSync, constants, fstatSync, openSync, readSync, statSync, writeSync } from 'node:fs';
import { openInput, readInputText } from '../../input/inputs.ts';
import { parseArgs } from 'node:util';
import type * as WorkerThreads from 'node:worker_threads';
import { WtmpImporter } from '../../legacy/import-wtmp.ts';
import { nameWorkerSource } from '../../legacy/name-worker-source.ts';
import type { NameWorkerData, NameWorkerMessage } from '../../legacy/name-worker.ts';
import { V2Importer } from '../../legacy/import-v2.ts';
import { AuthlogImporter } from '../../legacy/import-authlog.ts';
import { knownZone } from '../../legacy/zoned-time.ts';
import type { SessionRecord } from '../../record/types.ts';
import { detectLayout, recordSize, type UtmpLayout } from '../../legacy/utmp.ts';
import { toLine } from '../../record/build.ts';
import type { CommandIO } from '../io.ts';
import { UsageError } from '../usage.ts';

export const importUsage = `Usage: logsphere import wtmp|btmp|utmp|authlog|logsphere-v2 FILE... [OPTIONS]

Reads glibc accounting files and writes their logins, logouts, boots and shutdowns (wtmp) or
failed logins (btmp), or the sessions open in a utmp file (utmp), as logsphere/1 records; sshd's
failed logins from auth.log or syslog files (authlog: "Failed password", "Failed publickey",
"Invalid user", "maximum authentication attempts exceeded"; .gz files too); or the JSONL of the
older Python LogSphere tracker (logsphere-v2), keeping its session ids. Ids are derived from the
host and each entry: importing the same file twice, or overlapping rotated copies, yields the
same records.

Options:
      --host HOST       the host the file comes from (default: this host; authlog: the host
                        each line names)
      --output PATH     append the records to PATH instead of standard output
      --layout L        x86_64 (384-byte records) or time64 (400 bytes); default: detected
      --tz ZONE         logsphere-v2, authlog: the zone local times are in (default: this host's)
      --year YYYY       authlog: the year of "Mon DD HH:MM:SS" times (default: inferred from
                        the file's modification time, as the latest year not after it)
  -h, --help            show this help
`;

export interface ImportOptions {
  kind: 'wtmp' | 'btmp' | 'utmp' | 'authlog' | 'logsphere-v2';
  zone: string | null;
  year: number | null;
  files: string[];
  host: string | null;
  output: string | null;
  layout: UtmpLayout | null;
}

export function parseImportArgs(args: string[]): ImportOptions | 'help' {
  const { values, positionals } = parseArgs({
    args,
    strict: true,
    allowPositionals: true,
    options: {
      host: { type: 'string' },
      output: { type: 'string' },
      layout: { type: 'string' },
      tz: { type: 'string' },
      year: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) return 'help';
  const [kind, ...files] = positionals;
  if (kind !== 'wtmp' && kind !== 'btmp' && kind !== 'utmp' && kind !== 'authlog' && kind !== 'logsphere-v2') {
    throw new UsageError(kind === undefined ? 'import: which format? wtmp, btmp, utmp, authlog or logsphere-v2' : `import: ${JSON.stringify(kind)} is not a format this release reads (wtmp, btmp, utmp, authlog, logsphere-v2)`);
  }
  let year: number | null = null;
  if (values.year !== undefined) {
    year = Number(values.year);
    if (!/^\d{4}$/.test(values.year) || year < 1970) throw new UsageError(`--year: expected a year such as 2026, got ${JSON.stringify(values.year)}`);
  }
  if (values.tz !== undefined && !knownZone(values.tz)) throw new UsageError(`--tz: unknown time zone ${JSON.stringify(values.tz)}`);
  if (files.length === 0) throw new UsageError(`import ${kind}: no FILE given`);
  const layout = values.layout ?? null;
  if (layout !== null && layout !== 'x86_64' && layout !== 'time64') throw new UsageError(`--layout: expected x86_64 or time64, got ${JSON.stringify(layout)}`);
  return { kind, files, host: values.host ?? null, output: values.output ?? null, layout, zone: values.tz ?? null, year };
}

/** Records per piece read from a utmp-format file (wtmp files grow to gigabytes). */
const pieceRecords = 4096;
/**
 * From this many records on, the ids' names are hashed on a second thread (the name worker)
 * while this one writes the lines: hashing is a third of an import, starting a thread ~30 ms.
 */
const workerFromRecords = 65_536;

/** Imports a utmp-format file, read a piece at a time. */
function importUtmpFile(file: string, options: ImportOptions, host: string, sink: (bytes: Buffer) => void) {
  const fd = openInput(file);
  try {
    const length = fstatSync(fd).size;
    const head = Buffer.alloc(Math.min(length, 400 * 256));
    readSync(fd, head, 0, head.length, 0);
    const layout = options.layout ?? detectLayout(head, length);
    const source = options.kind as 'wtmp' | 'btmp' | 'utmp';
    const importer = new WtmpImporter({ host, source, layout }, sink);
    const size = recordSize[layout];
    let trailingBytes = 0;
    if (nameWorkerSource !== null && length / size >= workerFromRecords) {
      trailingBytes = importWithNameWorker(nameWorkerSource, importer, { fd, length, host, source, layout, pieceRecords });
    } else {
      const piece = Buffer.alloc(size * pieceRecords);
      for (let position = 0; position < length; ) {
        const n = readSync(fd, piece, 0, Math.min(piece.length, length - position), position);
        if (n === 0) break;
        position += n;
        trailingBytes = importer.addRecords(piece.subarray(0, n)); // only the last piece can end inside a record
      }
    }
    importer.finish();
    return { unknownTypes: importer.unknownTypes, trailingBytes };
  } finally {
    closeSync(fd);
  }
}

/**
 * Runs the name worker over the file and writes the pieces it hands back, in order. This
 * thread waits on a shared counter and takes each message synchronously: the import stays one
 * synchronous loop, and the worker never reads more than a few pieces ahead.
 */
function importWithNameWorker(source: string, importer: WtmpImporter, job: Omit<NameWorkerData, 'counters' | 'port'>): number {
  const threads = process.getBuiltinModule('node:worker_threads') as typeof WorkerThreads;
  const counters = new Int32Array(new SharedArrayBuffer(8));
  const { port1, port2 } = new threads.MessageChannel();
  const workerData: NameWorkerData = { ...job, counters: counters.buffer as SharedArrayBuffer, port: port2 };
  const worker = new threads.Worker(source, { eval: true, workerData, transferList: [port2] });
  worker.unref();
  let trailingBytes = 0;
  try {
    for (let taken = 0; ; taken++) {
      while (Atomics.load(counters, 0) <= taken) Atomics.wait(counters, 0, taken);
      const message = threads.receiveMessageOnPort(port1)?.message as NameWorkerMessage | undefined;
      Atomics.store(counters, 1, taken + 1);
      Atomics.notify(counters, 1);
      if (message === undefined) throw new Error('the name worker posted nothing');
      if ('error' in message) throw new Error(`reading or hashing failed: ${message.error}`);
      if ('done' in message) break;
      trailingBytes = importer.addRecords(Buffer.from(message.bytes, 0, message.length), Buffer.from(message.ids, 0, message.idsLength));
    }
  } finally {
    void worker.terminate();
    port1.close();
  }
  return trailingBytes;
}

function importAuthlog(file: string, options: ImportOptions, io: CommandIO, write: (bytes: Buffer) => void): void {
  const text = readInputText({ path: file });
  // Classic timestamps have no year: the file's last write bounds them (standard input: now).
  const reference = file === '-' ? Date.now() * 1000 : statSync(file).mtimeMs * 1000;
  const zone = options.zone ?? Intl.DateTimeFormat().resolvedOptions().timeZone;
  let out: string[] = [];
  const importer = new AuthlogImporter({ zone, year: options.year, reference, host: options.host }, (record) => {
    out.push(toLine(record));
    if (out.length >= 4096) {
      write(Buffer.from(out.join('')));
      out = [];
    }
  });
  let start = 0;
  for (let end = text.indexOf('\n'); start < text.length; end = text.indexOf('\n', start)) {
    const stop = end === -1 ? text.length : end;
    importer.addLine(text.slice(start, stop));
    start = stop + 1;
  }
  if (out.length > 0) write(Buffer.from(out.join('')));
  const { malformed } = importer.counts;
  if (malformed > 0) io.stderr(`logsphere: skipped ${malformed} line${malformed === 1 ? '' : 's'} of ${file} that are not syslog lines\n`);
}

export function runImport(options: ImportOptions, localHostname: string, io: CommandIO): number {
  const host = options.host ?? localHostname;
  const { O_WRONLY, O_APPEND, O_CREAT, O_NOFOLLOW } = constants;
  const fd = options.output === null ? null : openSync(options.output, O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW, 0o640);
  const write = (bytes: Buffer) => {
    if (fd === null) io.stdout(bytes);
    else for (let at = 0; at < bytes.length; ) at += writeSync(fd, bytes, at, bytes.length - at);
  };
  try {
    for (const file of options.files) {
      if (options.kind === 'authlog') {
        importAuthlog(file, options, io, write);
        continue;
      }
      if (options.kind === 'logsphere-v2') {
        const zone = options.zone ?? Intl.DateTimeFormat().resolvedOptions().timeZone;
        const lines: string[] = [];
        const importer = new V2Importer({ host, zone }, (record: SessionRecord) => lines.push(toLine(record)));
        for (const line of readInputText({ path: file }).split('\n')) importer.addLine(line);
        if (lines.length > 0) write(Buffer.from(lines.join('')));
        if (importer.malformed > 0) io.stderr(`logsphere: skipped ${importer.malformed} malformed line${importer.malformed === 1 ? '' : 's'} in ${file}\n`);
        continue;
      }
      const read = importUtmpFile(file, options, host, write);
      if (read.trailingBytes > 0) io.stderr(`logsphere: skipped a partial record of ${read.trailingBytes} bytes at the end of ${file}\n`);
      if (read.unknownTypes > 0) io.stderr(`logsphere: skipped ${read.unknownTypes} records of unknown type in ${file}\n`);
    }
  } finally {
    if (fd !== null) closeSync(fd);
  }
  return 0;
}
