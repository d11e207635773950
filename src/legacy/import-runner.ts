// Runs an import: each file read in its format (utmp-format files a piece at a time, the ids of
// large ones hashed on a second thread) and the records written as `logsphere/1` lines, to
// standard output or appended to an output file.

import { closeSync, constants, fstatSync, openSync, readSync, statSync, writeSync } from 'node:fs';
import { localZone } from '../time/zoned-time.ts';
import type * as WorkerThreads from 'node:worker_threads';
import { openInput, readInputText } from '../input/inputs.ts';
import { toLine } from '../record/build.ts';
import { builtin } from '../sys/builtin.ts';
import type { LogRecord } from '../record/types.ts';
import type { Progress } from '../text/progress.ts';
import { AuthlogImporter } from './import-authlog.ts';
import { V2Importer } from './import-v2.ts';
import { WtmpImporter } from './import-wtmp.ts';
import { embeddedNameWorker } from '../bundle/name-worker-text.ts';
import type { NameWorkerData, NameWorkerMessage } from './name-worker.ts';
import { detectLayout, recordSize, type UtmpLayout } from './utmp.ts';

export interface ImportRequest {
  kind: 'wtmp' | 'btmp' | 'utmp' | 'authlog' | 'logsphere-v2';
  files: string[];
  /** The host the files come from (authlog: the default for lines that name none). */
  host: string;
  /** Append the records to this file instead of standard output. */
  output: string | null;
  layout: UtmpLayout | null;
  /** logsphere-v2, authlog: the zone local times are in; null: this host's. */
  zone: string | null;
  /** authlog: the year of classic timestamps; null: inferred from the file's last write. */
  year: number | null;
}

export interface ImportOutput {
  stdout: (bytes: Buffer) => void;
  /** Lines skipped and partial records, one message each. */
  warn: (message: string) => void;
  /** Bytes of the files read so far, of all of them. */
  progress?: Progress;
}

/** Records per piece read from a utmp-format file (wtmp files grow to gigabytes). */
const pieceRecords = 4096;
/**
 * From this many records on, the ids' names are hashed on a second thread (the name worker)
 * while this one writes the lines: hashing is a third of an import, starting a thread ~30 ms.
 */
const workerFromRecords = 65_536;

/** Imports a utmp-format file, read a piece at a time. */
function importUtmpFile(file: string, options: ImportRequest, sink: (bytes: Buffer) => void, read: (bytes: number) => void) {
  const host = options.host;
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
    if (embeddedNameWorker !== null && length / size >= workerFromRecords) {
      trailingBytes = importWithNameWorker(embeddedNameWorker, importer, { fd, length, host, source, layout, pieceRecords }, read);
    } else {
      const piece = Buffer.alloc(size * pieceRecords);
      for (let position = 0; position < length; ) {
        const n = readSync(fd, piece, 0, Math.min(piece.length, length - position), position);
        if (n === 0) break;
        position += n;
        trailingBytes = importer.addRecords(piece.subarray(0, n)); // only the last piece can end inside a record
        read(position);
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
function importWithNameWorker(source: string, importer: WtmpImporter, job: Omit<NameWorkerData, 'counters' | 'port'>, read: (bytes: number) => void): number {
  const threads = builtin<typeof WorkerThreads>('node:worker_threads');
  const counters = new Int32Array(new SharedArrayBuffer(8));
  const { port1, port2 } = new threads.MessageChannel();
  const workerData: NameWorkerData = { ...job, counters: counters.buffer as SharedArrayBuffer, port: port2 };
  const worker = new threads.Worker(source, { eval: true, workerData, transferList: [port2] });
  worker.unref();
  let trailingBytes = 0;
  let bytes = 0;
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
      read((bytes += message.length));
    }
  } finally {
    void worker.terminate();
    port1.close();
  }
  return trailingBytes;
}

function importAuthlog(file: string, options: ImportRequest, output: ImportOutput, write: (bytes: Buffer) => void): void {
  const text = readInputText({ path: file });
  // Classic timestamps have no year: the file's last write bounds them (standard input: now).
  const reference = file === '-' ? Date.now() * 1000 : statSync(file).mtimeMs * 1000;
  const zone = options.zone ?? localZone();
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
  if (malformed > 0) output.warn(`skipped ${malformed} line${malformed === 1 ? '' : 's'} of ${file} that are not syslog lines`);
}

export function importFiles(options: ImportRequest, out: ImportOutput): void {
  const host = options.host;
  const { O_WRONLY, O_APPEND, O_CREAT, O_NOFOLLOW } = constants;
  const fd = options.output === null ? null : openSync(options.output, O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW, 0o640);
  const write = (bytes: Buffer) => {
    if (fd === null) out.stdout(bytes);
    else for (let at = 0; at < bytes.length; ) at += writeSync(fd, bytes, at, bytes.length - at);
  };
  // The progress counts bytes of the files (standard input: none, its size is not known).
  const sizes = options.files.map((file) => {
    try {
      return file === '-' ? 0 : statSync(file).size;
    } catch {
      return 0; // the import names it when it opens it
    }
  });
  const total = sizes.reduce((a, b) => a + b, 0);
  let before = 0;
  const report = (file: string) => (done: number) => out.progress?.report(before + done, total, file);
  try {
    for (const [k, file] of options.files.entries()) {
      const read = report(file);
      read(0);
      if (options.kind === 'authlog') {
        importAuthlog(file, options, out, write);
      } else if (options.kind === 'logsphere-v2') {
        const zone = options.zone ?? localZone();
        const lines: string[] = [];
        const importer = new V2Importer({ host, zone }, (record: LogRecord) => lines.push(toLine(record)));
        for (const line of readInputText({ path: file }).split('\n')) importer.addLine(line);
        if (lines.length > 0) write(Buffer.from(lines.join('')));
        if (importer.malformed > 0) out.warn(`skipped ${importer.malformed} malformed line${importer.malformed === 1 ? '' : 's'} in ${file}`);
      } else {
        const done = importUtmpFile(file, options, write, read);
        if (done.trailingBytes > 0) out.warn(`skipped a partial record of ${done.trailingBytes} bytes at the end of ${file}`);
        if (done.unknownTypes > 0) out.warn(`skipped ${done.unknownTypes} records of unknown type in ${file}`);
      }
      before += sizes[k] as number;
    }
  } finally {
    out.progress?.end();
    if (fd !== null) closeSync(fd);
  }
}
