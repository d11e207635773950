// The content of a gzip file (a compressed log segment, a `.jsonl.gz` input), a piece at a time
// and bounded: its decompressed size may not exceed a limit proportional to its compressed size
// (a gzip bomb is refused with an InputError naming the file), and what is held in memory does
// not grow with the file. A damaged file (truncated, corrupt) hands on what decompressed before
// the damage, then throws its InputError: the reader decides what the rest of its input is worth.
//
// Every reader of the log is synchronous, and node's zlib decompresses a stream only
// asynchronously (its synchronous calls take a whole buffer). So a file whose content is small —
// the writer's own segments, rotated at 16 MiB — is gunzipped in one synchronous call with its
// output capped; anything larger, or that turns out larger than its gzip trailer claimed, streams
// through zlib on a worker thread that hands each piece over as this thread asks for it, a few
// pieces ahead at most. The worker costs its start-up (some 30 ms) only to files that take longer
// than that to decompress anyway.

import { fstatSync } from 'node:fs';
import type * as NodeFs from 'node:fs';
import type * as Zlib from 'node:zlib';
import type * as WorkerThreads from 'node:worker_threads';
import { InputError } from './input-error.ts';
import { lastBytes } from './line-reader.ts';
import { readRange } from './read-range.ts';
import { builtin } from '../sys/builtin.ts';

/** How many times its compressed size a file may grow: real logs compress 5 to 10 times. */
export const maxExpansion = 100;
/** The limit for small files, whatever their ratio. */
export const minDecompressedLimit = 64 << 20;
/** Files whose content is at most this large are gunzipped in one call. */
const inlineBytes = 32 << 20;
const pieceBytes = 1 << 16;
/** Pieces the worker may decompress ahead of the reader. */
const readAhead = 4;
/** The most bytes before its position a stream keeps (log-position.ts asks for fewer). */
const tailKeep = 256;

/** The most a gzip file of `compressedBytes` may decompress to. */
export function decompressedLimit(compressedBytes: number): number {
  return Math.max(minDecompressedLimit, maxExpansion * compressedBytes);
}

interface Pieces {
  next(): Buffer | null;
  close(): void;
}

/** Content gunzipped in one call, handed on in pieces. */
class InlinePieces implements Pieces {
  private at = 0;
  constructor(private readonly data: Buffer) {}
  next(): Buffer | null {
    if (this.at >= this.data.length) return null;
    const piece = this.data.subarray(this.at, this.at + pieceBytes);
    this.at += piece.length;
    return piece;
  }
  close(): void {}
}

interface WorkerData {
  fd: number;
  limit: number;
  pieceBytes: number;
  readAhead: number;
  /** Int32 counters: pieces posted, pieces taken, and 1 once the reader stopped. */
  counters: SharedArrayBuffer;
  port: WorkerThreads.MessagePort;
}

/** Far longer than any piece takes to decompress. */
const silentThreadMs = 60_000;

type WorkerMessage = { bytes: ArrayBuffer } | { end: true } | { exceeded: true } | { error: string };

/**
 * The worker thread's program. It runs from this function's text, so it uses nothing from
 * outside its body. It reads the file itself, from the descriptor this thread opened.
 */
function gunzipWorker(): void {
  // As builtin() (sys/builtin.ts) does, written out here: this body is all the thread has. A
  // thread evaluated from text has require as a global (and a bundler leaves globalThis alone).
  const get = <T>(id: string): T =>
    (typeof process.getBuiltinModule === 'function' ? process.getBuiltinModule(id) : (globalThis as unknown as { require: (id: string) => unknown }).require(id)) as T;
  const { workerData } = get<typeof WorkerThreads>('node:worker_threads');
  const { readSync } = get<typeof NodeFs>('node:fs');
  const { createGunzip } = get<typeof Zlib>('node:zlib');
  const data = workerData as WorkerData;
  const counters = new Int32Array(data.counters);
  const stopped = () => Atomics.load(counters, 2) !== 0;
  let over = false;
  const post = (message: WorkerMessage, transfer: ArrayBuffer[] = []) => {
    if (over) return;
    if (!('bytes' in message)) over = true;
    data.port.postMessage(message, transfer);
    Atomics.add(counters, 0, 1);
    Atomics.notify(counters, 0);
  };
  // Whatever goes wrong here is posted: the reader waits for a message.
  process.on('uncaughtException', (error) => post({ error: error.message }));
  const gunzip = createGunzip({ chunkSize: data.pieceBytes });
  let total = 0;
  gunzip.on('data', (piece: Buffer) => {
    if (over) return;
    total += piece.length;
    if (total > data.limit) {
      post({ exceeded: true });
      gunzip.destroy();
      return;
    }
    // Blocks this thread (and so zlib) while the reader is `readAhead` pieces behind.
    for (let taken = Atomics.load(counters, 1); Atomics.load(counters, 0) - taken >= data.readAhead && !stopped(); taken = Atomics.load(counters, 1)) {
      Atomics.wait(counters, 1, taken);
    }
    if (stopped()) {
      over = true;
      gunzip.destroy();
      return;
    }
    const bytes = new ArrayBuffer(piece.length);
    new Uint8Array(bytes).set(piece);
    post({ bytes }, [bytes]);
  });
  gunzip.on('end', () => post({ end: true }));
  gunzip.on('error', (error: Error) => post({ error: error.message }));
  let position = 0;
  const pump = (): void => {
    try {
      while (!over) {
        const input = Buffer.allocUnsafe(data.pieceBytes);
        const n = readSync(data.fd, input, 0, input.length, position);
        if (n === 0) {
          gunzip.end();
          return;
        }
        position += n;
        if (!gunzip.write(input.subarray(0, n))) {
          gunzip.once('drain', pump);
          return;
        }
      }
    } catch (error) {
      post({ error: (error as { code?: string }).code ?? String(error) });
    }
  };
  pump();
}

const workerSource = `(${gunzipWorker.toString()})();`;

/** Content streamed through zlib on a worker thread. */
class WorkerPieces implements Pieces {
  private readonly counters = new Int32Array(new SharedArrayBuffer(12));
  private readonly port: WorkerThreads.MessagePort;
  private readonly worker: WorkerThreads.Worker;
  private readonly threads: typeof WorkerThreads;
  private taken = 0;
  private done = false;

  constructor(
    private readonly path: string,
    fd: number,
    private readonly limit: number,
  ) {
    this.threads = builtin<typeof WorkerThreads>('node:worker_threads');
    const { port1, port2 } = new this.threads.MessageChannel();
    this.port = port1;
    const workerData: WorkerData = { fd, limit, pieceBytes, readAhead, counters: this.counters.buffer as SharedArrayBuffer, port: port2 };
    this.worker = new this.threads.Worker(workerSource, { eval: true, workerData, transferList: [port2] });
    this.worker.unref();
  }

  next(): Buffer | null {
    if (this.done) return null;
    // A thread that died before it could post anything (it could not even start) is not waited for forever.
    while (Atomics.load(this.counters, 0) <= this.taken) {
      if (Atomics.wait(this.counters, 0, this.taken, silentThreadMs) === 'timed-out' && Atomics.load(this.counters, 0) <= this.taken) {
        this.close();
        throw new InputError(this.path, undefined, `the gunzip thread posted nothing in ${silentThreadMs / 1000} s`);
      }
    }
    const message = this.threads.receiveMessageOnPort(this.port)?.message as WorkerMessage | undefined;
    this.taken++;
    Atomics.store(this.counters, 1, this.taken);
    Atomics.notify(this.counters, 1);
    if (message !== undefined && 'bytes' in message) return Buffer.from(message.bytes);
    this.close();
    if (message === undefined) throw new InputError(this.path, undefined, 'the gunzip thread posted nothing');
    if ('end' in message) return null;
    if ('exceeded' in message) throw new InputError(this.path, undefined, `decompressed size exceeds ${this.limit} bytes`);
    throw new InputError(this.path, undefined, `not a readable gzip file (${message.error})`);
  }

  close(): void {
    if (this.done) return;
    this.done = true;
    Atomics.store(this.counters, 2, 1);
    Atomics.notify(this.counters, 1);
    void this.worker.terminate();
    this.port.close();
  }
}

/**
 * The content of the gzip file open at `fd` (read from its start, whatever the descriptor's
 * position), a piece at a time. Opening reads nothing; reading throws an InputError naming
 * `path` when the file is not gzip or decompresses past decompressedLimit(), after the content
 * before that point. The descriptor stays the caller's: close() ends the reading, not the file.
 */
export class GunzipStream {
  private pieces: Pieces | null = null;
  private held: Buffer | null = null;
  private ended = false;
  private recent: Buffer = Buffer.alloc(0);
  /** Content bytes handed on or skipped so far. */
  position = 0;

  constructor(
    readonly path: string,
    private readonly fd: number,
  ) {}

  /** The next piece of content; null at its end. */
  next(): Buffer | null {
    let piece = this.held;
    this.held = null;
    if (piece === null) {
      if (this.ended) return null;
      try {
        piece = (this.pieces ??= this.start()).next();
      } catch (error) {
        this.close();
        throw error;
      }
      if (piece === null) {
        this.close();
        return null;
      }
    }
    this.recent = lastBytes(this.recent, piece, piece.length, tailKeep);
    this.position += piece.length;
    return piece;
  }

  /**
   * Skips up to `n` bytes (fewer at the end: `position` says where it stopped) and returns the
   * last `keep` bytes before the new position (at most 256).
   */
  skip(n: number, keep: number): Buffer {
    const target = this.position + n;
    while (this.position < target) {
      const before = this.recent;
      const piece = this.next();
      if (piece === null) break;
      if (this.position > target) {
        // Past the target: the rest is read next.
        const used = piece.length - (this.position - target);
        this.held = piece.subarray(used);
        this.position = target;
        this.recent = lastBytes(before, piece, used, tailKeep);
      }
    }
    return this.before(keep);
  }

  /** The last `keep` bytes handed on (at most 256): what comes before `position`. */
  before(keep: number): Buffer {
    return this.recent.subarray(Math.max(0, this.recent.length - keep));
  }

  /** Stops reading (the worker, when there is one). */
  close(): void {
    this.ended = true;
    this.held = null;
    this.pieces?.close();
  }

  private start(): Pieces {
    const size = fstatSync(this.fd).size;
    const limit = decompressedLimit(size);
    // The gzip trailer's ISIZE: the size of the last member's content (mod 2^32). A hint only —
    // the one call is capped whatever it says.
    const claimed = size >= 18 ? readRange(this.fd, size - 4, 4).readUInt32LE(0) : 0;
    if (size <= inlineBytes && claimed <= inlineBytes) {
      try {
        // node:zlib loads node's stream modules: taken when a file is gunzipped, not when this module loads.
        const { gunzipSync } = builtin<typeof Zlib>('node:zlib');
        return new InlinePieces(gunzipSync(readRange(this.fd, 0, size), { maxOutputLength: Math.min(inlineBytes, limit) }));
      } catch {
        // Too large for one call, or damaged: the one call hands on nothing of a damaged file,
        // the stream everything zlib gets out of it before the damage, then the error.
      }
    }
    return new WorkerPieces(this.path, this.fd, limit);
  }
}
