// Splits a stream of bytes into lines, for every reader of the log (the query commands' inputs,
// the sessions checkpoint, the tail behind follow and watch). Chunks of any size go in; whole
// lines come out as text; the partial line at the end of a chunk waits for the next one.
//
// The wait is bounded: a line longer than maxLineBytes is not kept but skipped to its newline and
// reported as one overlong line, so one long line neither stops a reader nor costs it memory. A
// partial line is kept as the pieces it arrived in and copied once, when its newline comes: what
// was read is never copied again, so reading time stays linear in the length of a line.

/**
 * The longest line kept. A `logsphere/1` record is under 8 KiB (its untrusted fields are capped
 * at 256 bytes); a line 128 times that is not a record, and holding it costs a reader 1 MiB.
 */
export const maxLineBytes = 1 << 20;

export interface LineSink {
  /** One or more whole lines, each ending in '\n' — except the last line of an input without one. */
  lines(text: string): void;
  /** A line longer than the maximum: skipped, to be counted as malformed. */
  overlong(): void;
}

export interface LineReaderOptions {
  /** The longest line kept (bytes, without its newline); default maxLineBytes. */
  maxLine?: number;
  /** Keep this many bytes before the end of the last whole line (what identifies a position). */
  keep?: number;
}

const empty = Buffer.alloc(0);

/** The last `keep` bytes of `before` followed by `chunk[0, end)`. */
export function lastBytes(before: Buffer, chunk: Uint8Array, end: number, keep: number): Buffer {
  const fromChunk = Math.min(end, keep);
  const fromBefore = Math.min(before.length, keep - fromChunk);
  if (fromBefore === 0) return Buffer.from(chunk.subarray(end - fromChunk, end));
  return Buffer.concat([before.subarray(before.length - fromBefore), chunk.subarray(end - fromChunk, end)]);
}

export class LineReader {
  private readonly maxLine: number;
  private readonly keep: number;
  /** The line in progress, as it arrived (copies: callers may reuse their chunk buffers). */
  private pieces: Buffer[] = [];
  /** Bytes of the line in progress, kept in `pieces` or, while skipping, only counted. */
  private partial = 0;
  private skipping = false;
  private fed = 0;
  /** The last `keep` bytes fed, and the last `keep` bytes before `lineEnd`. */
  private recent: Buffer = empty;
  private beforeLineEnd: Buffer = empty;

  constructor(options: LineReaderOptions = {}) {
    this.maxLine = options.maxLine ?? maxLineBytes;
    this.keep = options.keep ?? 0;
  }

  /** Where the input stands: the offset after the last byte fed. */
  get position(): number {
    return this.fed;
  }

  /** The offset after the last whole line handed on or skipped (its newline included). */
  get lineEnd(): number {
    return this.fed - this.partial;
  }

  /** The last `keep` bytes before `lineEnd`. */
  bytesBeforeLineEnd(): Buffer {
    return this.beforeLineEnd;
  }

  /** Starts again at `offset`, the start of a line, after the bytes `before` (for `keep`). */
  reset(offset = 0, before: Buffer = empty): void {
    this.fed = offset;
    this.pieces = [];
    this.partial = 0;
    this.skipping = false;
    this.recent = before;
    this.beforeLineEnd = before;
  }

  push(chunk: Uint8Array, sink: LineSink): void {
    const n = chunk.length;
    if (n === 0) return;
    const first = chunk.indexOf(0x0a);
    if (first < 0) {
      this.hold(chunk, 0, n);
      if (this.keep > 0) this.recent = lastBytes(this.recent, chunk, n, this.keep);
      this.fed += n;
      return;
    }
    let from = 0;
    if (this.partial > 0) {
      this.complete(chunk, first, sink);
      from = first + 1;
    }
    const last = chunk.lastIndexOf(0x0a);
    if (last >= from) this.emit(chunk, from, last + 1, sink);
    if (this.keep > 0) {
      this.beforeLineEnd = lastBytes(this.recent, chunk, last + 1, this.keep);
      this.recent = lastBytes(this.recent, chunk, n, this.keep);
    }
    this.fed += n;
    this.pieces = [];
    this.partial = 0;
    this.skipping = false;
    this.hold(chunk, last + 1, n);
  }

  /** The end of the input: a last line without a newline is handed on (or skipped) too. */
  end(sink: LineSink): void {
    if (this.partial > 0) {
      if (this.skipping) sink.overlong();
      else sink.lines(Buffer.concat(this.pieces, this.partial).toString('utf8'));
    }
    this.pieces = [];
    this.partial = 0;
    this.skipping = false;
    this.beforeLineEnd = this.recent;
  }

  /** Finishes the line in progress with `chunk[0, newline]`. */
  private complete(chunk: Uint8Array, newline: number, sink: LineSink): void {
    if (this.skipping || this.partial + newline > this.maxLine) {
      sink.overlong();
      return;
    }
    this.pieces.push(Buffer.from(chunk.buffer, chunk.byteOffset, newline + 1));
    sink.lines(Buffer.concat(this.pieces, this.partial + newline + 1).toString('utf8'));
  }

  /** Hands on the whole lines of `chunk[from, to)` (`to - 1` is a newline). */
  private emit(chunk: Uint8Array, from: number, to: number, sink: LineSink): void {
    const text = (start: number, end: number) => Buffer.from(chunk.buffer, chunk.byteOffset + start, end - start).toString('utf8');
    if (to - from <= this.maxLine + 1) {
      sink.lines(text(from, to));
      return;
    }
    // Only a chunk larger than the maximum can hold a whole overlong line.
    let run = from;
    for (let at = from; at < to; ) {
      const newline = chunk.indexOf(0x0a, at);
      if (newline - at > this.maxLine) {
        if (at > run) sink.lines(text(run, at));
        sink.overlong();
        run = newline + 1;
      }
      at = newline + 1;
    }
    if (run < to) sink.lines(text(run, to));
  }

  /** Keeps `chunk[from, to)` as part of the line in progress, or only counts it once too long. */
  private hold(chunk: Uint8Array, from: number, to: number): void {
    const n = to - from;
    if (n === 0) return;
    if (!this.skipping && this.partial + n > this.maxLine) {
      this.skipping = true;
      this.pieces = [];
    }
    if (!this.skipping) this.pieces.push(Buffer.from(chunk.subarray(from, to)));
    this.partial += n;
  }
}
