// The columns of a whole history's rotated segments, in the order the reader asks for them: from
// the segment index (segment-index.ts), made on this thread, or — when two or more segments have
// no stored columns, so that making them is most of the read — made on both cores: a worker thread
// (columns-worker.ts) takes segments from the last while this thread takes them from the first.
// The reader stays one synchronous loop: it waits on a shared counter for a segment the worker
// claimed and takes its message synchronously.

import type * as WorkerThreads from 'node:worker_threads';
import type { InputFile } from './inputs.ts';
import { decodeColumns, type RecordColumns } from './record-columns.ts';
import type { SegmentIndex } from './segment-index.ts';
import { builtin } from '../sys/builtin.ts';

/** A segment's claim: free, taken by the reader, taken by the worker. */
export const Claim = { free: 0, reader: 1, worker: 2 } as const;

export interface ColumnsWorkerData {
  files: InputFile[];
  stateDir: string | null;
  /** Int32: one claim per file, then the count of messages posted, then how many of the worker's segments the reader has used. */
  shared: SharedArrayBuffer;
  port: WorkerThreads.MessagePort;
}

/**
 * A segment done: its columns stored in the index, or as encodeColumns' bytes, or neither (the
 * segment is damaged: read it as usual); the end; or what went wrong.
 */
export type ColumnsWorkerMessage = { file: number; stored: boolean; bytes: ArrayBuffer | null } | { done: true } | { error: string };

export interface SegmentColumns {
  /** Segment k's columns (segments[k]); null: read it as usual. Used before the next call. */
  columns(k: number): RecordColumns | null;
  /** How many segments the worker made (0 without one). */
  readonly byWorker: number;
  close(): void;
}

/**
 * Segments the worker hands over as bytes (where the index cannot keep them) that the reader has
 * not used yet, at most: the reader uses them only when it comes to them, so they are held in memory.
 */
export const bytesAhead = 4;

/** Segments without stored columns from which a worker is worth its start (some 30 ms, against 300 ms a segment). */
const workerFrom = 2;

/** How long the reader waits for the worker's next message before it makes the rest itself (a worker that died says nothing). */
const patienceMs = 30_000;

export interface WorkerOptions {
  /**
   * For tests, which must know what the worker made: the reader claims nothing before the worker
   * has posted this many messages or ended (Infinity: before it ended).
   */
  workerFirst?: number | undefined;
  patienceMs?: number | undefined;
}

export function segmentColumns(index: SegmentIndex, stateDir: string | null, segments: readonly InputFile[], workerSource: string | null, options: WorkerOptions = {}): SegmentColumns {
  // worker_threads is loaded only where a worker is started.
  if (workerSource !== null && segments.filter((s) => !index.hasColumns(s)).length >= workerFrom) {
    return new SharedColumns(index, stateDir, segments, workerSource, options.workerFirst ?? 0, options.patienceMs ?? patienceMs);
  }
  return { columns: (k) => index.columns(segments[k] as InputFile), byWorker: 0, close: () => {} };
}

class SharedColumns implements SegmentColumns {
  private readonly threads = builtin<typeof WorkerThreads>('node:worker_threads');
  private readonly shared: Int32Array;
  private readonly port: WorkerThreads.MessagePort;
  private readonly worker: WorkerThreads.Worker;
  /** Columns the worker handed over and the reader has not asked for yet. */
  private readonly made = new Map<number, { stored: boolean; bytes: ArrayBuffer | null }>();
  private taken = 0;
  /** The worker posted its last message: what it did not hand over, this thread makes. */
  private ended = false;
  byWorker = 0;

  constructor(
    private readonly index: SegmentIndex,
    stateDir: string | null,
    private readonly segments: readonly InputFile[],
    source: string,
    private workerFirst: number,
    private readonly patienceMs: number,
  ) {
    this.shared = new Int32Array(new SharedArrayBuffer(4 * (segments.length + 2)));
    const { port1, port2 } = new this.threads.MessageChannel();
    this.port = port1;
    const workerData: ColumnsWorkerData = { files: [...segments], stateDir, shared: this.shared.buffer as SharedArrayBuffer, port: port2 };
    this.worker = new this.threads.Worker(source, { eval: true, workerData, transferList: [port2] });
    this.worker.unref();
  }

  columns(k: number): RecordColumns | null {
    while (this.taken < this.workerFirst && !this.ended) this.receive();
    this.workerFirst = 0;
    if (Atomics.compareExchange(this.shared, k, Claim.free, Claim.reader) === Claim.free) return this.index.columns(this.segments[k] as InputFile);
    while (!this.made.has(k) && !this.ended) this.receive();
    const made = this.made.get(k);
    this.made.delete(k);
    if (made !== undefined) Atomics.add(this.shared, this.segments.length + 1, 1);
    const segment = this.segments[k] as InputFile;
    // Not done by the worker (it stopped before), or stored: read from the index (made here if it is not there after all).
    if (made === undefined) return this.index.columns(segment);
    this.byWorker++;
    if (made.stored) return this.index.columns(segment);
    if (made.bytes === null) return null;
    return decodeColumns(Buffer.from(made.bytes))?.columns ?? this.index.columns(segment);
  }

  /** The worker's next message, waited for; none within patienceMs, and the worker is given up. */
  private receive(): void {
    const posted = this.segments.length;
    if (Atomics.load(this.shared, posted) <= this.taken && Atomics.wait(this.shared, posted, this.taken, this.patienceMs) === 'timed-out') {
      this.ended = true;
      void this.worker.terminate();
      return;
    }
    const message = this.threads.receiveMessageOnPort(this.port)?.message as ColumnsWorkerMessage | undefined;
    this.taken++;
    if (message === undefined || !('file' in message)) this.ended = true;
    else this.made.set(message.file, message);
  }

  close(): void {
    void this.worker.terminate();
    this.port.close();
  }
}
