// JSON lines written as bytes, field by field, where millions are written (importers turning
// entries into records, `last --json` over a whole history): no object, no string per line, no
// UTF-8 encoding of a large string at the end, and output in large writes. What it writes is what
// jsonText would (the importer's and the reconciler's tests compare the two).

import { jsonText, jsonTextBound } from './json-text.ts';
import { formatTimestamp, type Micros } from './time.ts';

const hexDigits = '0123456789abcdef';
const hexCodes = Uint8Array.from(hexDigits, (c) => c.charCodeAt(0));
/** The short escapes JSON.stringify uses for control characters; the others become \u00XX. */
const shortEscapes: Record<number, number> = { 0x08: 0x62, 0x09: 0x74, 0x0a: 0x6e, 0x0c: 0x66, 0x0d: 0x72 };
/** The variant nibble of a UUID from the hex digit it replaces: the top two bits set to 10. */
const variantDigits = '89ab89ab89ab89ab';

/**
 * Bytes as a string of the same latin-1 characters. Buffer#latin1Slice is what
 * buf.toString('latin1', …) calls after checking its arguments; called directly it is twice as
 * fast, which shows when a million entries are read.
 */
export function latin1Slice(buf: Buffer, start: number, end: number): string {
  return (buf as Buffer & { latin1Slice(start: number, end: number): string }).latin1Slice(start, end);
}

/** A growing run of lines in a buffer that is handed to `sink` whenever it fills. */
export class JsonBytes {
  buf: Buffer;
  pos = 0;
  private lastDay = Number.NaN;
  private lastDate: Uint8Array = new Uint8Array(0);

  /**
   * `sinkKeeps`: the sink may keep the bytes it gets (an asynchronous write), so a new buffer is
   * taken after each; false: the sink is done with them when it returns (the CLI's output, written
   * with write(2)), and the buffer is filled again.
   */
  constructor(
    private readonly sink: (bytes: Buffer) => void,
    private readonly size = 1 << 20,
    private readonly sinkKeeps = true,
  ) {
    this.buf = Buffer.allocUnsafe(size);
  }

  /** Makes room for `n` more bytes, handing over what is written when the buffer is too full. */
  reserve(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    this.flush();
    if (n > this.buf.length) this.buf = Buffer.allocUnsafe(n);
  }

  /** Hands over what is written. */
  flush(): void {
    if (this.pos === 0) return;
    this.sink(this.buf.subarray(0, this.pos));
    if (this.sinkKeeps || this.buf.length !== this.size) this.buf = Buffer.allocUnsafe(this.size);
    this.pos = 0;
  }

  /** Any text, as UTF-8 (room made for it). */
  text(text: string): void {
    // A UTF-16 unit is at most 3 bytes of UTF-8.
    this.reserve(3 * text.length);
    this.pos += this.buf.write(text, this.pos);
  }

  /** The most jsonString() writes for `text`. */
  static jsonStringBound(text: string): number {
    return jsonTextBound(text.length);
  }

  /** A string as jsonText writes it, quotes included; room for jsonStringBound(text) made by the caller. */
  jsonString(text: string): void {
    const { buf } = this;
    const start = this.pos;
    let pos = start;
    buf[pos++] = 0x22;
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      // Printable ASCII but `"` and `\` is written as it is; anything else as jsonText writes it.
      if (c < 0x20 || c >= 0x7f || c === 0x22 || c === 0x5c) {
        this.pos = start + buf.write(jsonText(text), start);
        return;
      }
      buf[pos++] = c;
    }
    buf[pos++] = 0x22;
    this.pos = pos;
  }

  /**
   * UTF-8 bytes as a JSON string, quotes included, when every one is printable ASCII other than `"`
   * and `\\` (then its JSON text is the bytes themselves); otherwise writes nothing and says so.
   * Room for end - start + 2 bytes made by the caller.
   */
  plainJsonString(src: Uint8Array, start: number, end: number): boolean {
    for (let i = start; i < end; i++) {
      const b = src[i] as number;
      if (b < 0x20 || b >= 0x7f || b === 0x22 || b === 0x5c) return false;
    }
    const { buf } = this;
    let pos = this.pos;
    buf[pos++] = 0x22;
    for (let i = start; i < end; i++) buf[pos++] = src[i] as number;
    buf[pos++] = 0x22;
    this.pos = pos;
    return true;
  }

  /** The `digits` lowest hex digits of a non-negative integer below 2^32, lowercase, zeros in front. */
  hex(n: number, digits: number): void {
    const { buf, pos } = this;
    for (let i = digits - 1, rest = n; i >= 0; i--, rest >>>= 4) buf[pos + i] = hexCodes[rest & 15] as number;
    this.pos += digits;
  }

  /** Bytes written as they are (parts of the line made once, as bytes). */
  raw(bytes: Uint8Array): void {
    // A loop beats a call into set() for the short keys that make up most of a line.
    if (bytes.length <= 64) return this.copy(bytes, 0, bytes.length);
    this.buf.set(bytes, this.pos);
    this.pos += bytes.length;
  }

  /** ASCII text that needs no escaping. */
  ascii(text: string): void {
    const { buf } = this;
    let pos = this.pos;
    for (let i = 0; i < text.length; i++) buf[pos++] = text.charCodeAt(i);
    this.pos = pos;
  }

  /** A non-negative integer below 2^53. */
  integer(n: number): void {
    let digits = 1;
    for (let rest = n; rest >= 10; rest = Math.floor(rest / 10)) digits++;
    const { buf } = this;
    for (let i = this.pos + digits - 1, rest = n; i >= this.pos; i--) {
      const tenth = Math.floor(rest / 10);
      buf[i] = 0x30 + rest - tenth * 10;
      rest = tenth;
    }
    this.pos += digits;
  }

  /** Text kept as latin-1 characters (see latin1Slice), written back as the same bytes. */
  latin1Text(text: string): void {
    this.pos += this.buf.write(text, this.pos, 'latin1');
  }

  /** `length` bytes of `src` from `start`, copied one by one (short runs: ids). */
  copy(src: Uint8Array, start: number, length: number): void {
    const { buf, pos } = this;
    for (let i = 0; i < length; i++) buf[pos + i] = src[start + i] as number;
    this.pos += length;
  }

  /**
   * Latin-1 bytes as a JSON string, quotes included: `"` and `\` escaped, control characters as
   * jsonText writes them (C0 as JSON.stringify does; DEL and C1 as \u00XX), bytes from 0xA0 as
   * the two-byte UTF-8 of U+00A0..U+00FF.
   */
  latin1String(src: Uint8Array, start: number, end: number): void {
    const { buf } = this;
    let pos = this.pos;
    buf[pos++] = 0x22;
    for (let i = start; i < end; i++) {
      const b = src[i] as number;
      if (b >= 0x20 && b < 0x7f) {
        if (b === 0x22 || b === 0x5c) buf[pos++] = 0x5c;
        buf[pos++] = b;
      } else if (b >= 0xa0) {
        buf[pos++] = 0xc0 | (b >> 6);
        buf[pos++] = 0x80 | (b & 0x3f);
      } else {
        buf[pos++] = 0x5c;
        const short = shortEscapes[b];
        if (short !== undefined) buf[pos++] = short;
        else {
          buf[pos++] = 0x75; // u00XX
          buf[pos++] = 0x30;
          buf[pos++] = 0x30;
          buf[pos++] = hexDigits.charCodeAt(b >> 4);
          buf[pos++] = hexDigits.charCodeAt(b & 15);
        }
      }
    }
    buf[pos++] = 0x22;
    this.pos = pos;
  }

  /** Seconds of a duration in whole microseconds, as JS writes the number `micros / 1e6`. */
  seconds(micros: number): void {
    // Below 1e15 µs the quotient has at most 15 significant digits, so the shortest text that
    // reads back as the same double is that decimal itself, trailing zeros dropped.
    if (!Number.isInteger(micros) || micros < 0 || micros >= 1e15) {
      this.ascii(String(micros / 1e6));
      return;
    }
    const whole = Math.floor(micros / 1e6);
    let fraction = micros - whole * 1e6;
    this.integer(whole);
    if (fraction === 0) return;
    let digits = 6;
    while (fraction % 10 === 0) {
      fraction /= 10;
      digits--;
    }
    const { buf } = this;
    buf[this.pos] = 0x2e;
    for (let i = this.pos + digits; i > this.pos; i--) {
      buf[i] = 0x30 + (fraction % 10);
      fraction = Math.floor(fraction / 10);
    }
    this.pos += digits + 1;
  }

  /** The bytes from `start` to `end` as a string of the same latin-1 characters (latin1Text() writes them back). */
  latin1Slice(start: number, end: number): string {
    return latin1Slice(this.buf, start, end);
  }

  /** The most bytes latin1String writes for `length` source bytes. */
  static latin1StringBound(length: number): number {
    return 6 * length + 2;
  }

  /** The version-5 UUID made of a hex SHA-1 digest (RFC 9562: version nibble 5, variant 10). */
  uuidV5FromSha1(hex: string): void {
    JsonBytes.uuidV5FromSha1(hex, this.buf, this.pos);
    this.pos += 36;
  }

  /** Writes the 36 characters of the version-5 UUID made of a hex SHA-1 digest at `buf[p …]`. */
  static uuidV5FromSha1(hex: string, buf: Uint8Array, p: number): void {
    for (let i = 0; i < 8; i++) buf[p + i] = hex.charCodeAt(i);
    buf[p + 8] = 0x2d;
    for (let i = 8; i < 12; i++) buf[p + 1 + i] = hex.charCodeAt(i);
    buf[p + 13] = 0x2d;
    buf[p + 14] = 0x35;
    for (let i = 13; i < 16; i++) buf[p + 2 + i] = hex.charCodeAt(i);
    buf[p + 18] = 0x2d;
    buf[p + 19] = variantDigits.charCodeAt(parseInt(hex.charAt(16), 16));
    for (let i = 17; i < 20; i++) buf[p + 3 + i] = hex.charCodeAt(i);
    buf[p + 23] = 0x2d;
    for (let i = 20; i < 32; i++) buf[p + 4 + i] = hex.charCodeAt(i);
  }

  /** RFC 3339 UTC with six fractional digits, as formatTimestamp writes it. */
  timestamp(micros: Micros): void {
    const seconds = Math.floor(micros / 1e6);
    const day = Math.floor(seconds / 86_400);
    if (day !== this.lastDay) {
      this.lastDate = Buffer.from(formatTimestamp(day * 86_400e6).slice(0, 11)); // YYYY-MM-DDT
      this.lastDay = day;
    }
    this.copy(this.lastDate, 0, this.lastDate.length);
    // From here on every value is a small non-negative integer: `| 0` truncates.
    const rest = seconds - day * 86_400;
    const hour = (rest / 3600) | 0;
    const minute = ((rest - hour * 3600) / 60) | 0;
    const second = rest - hour * 3600 - minute * 60;
    let fraction = micros - seconds * 1e6;
    const { buf } = this;
    const p = this.pos;
    buf[p] = 0x30 + ((hour / 10) | 0);
    buf[p + 1] = 0x30 + (hour % 10);
    buf[p + 2] = 0x3a;
    buf[p + 3] = 0x30 + ((minute / 10) | 0);
    buf[p + 4] = 0x30 + (minute % 10);
    buf[p + 5] = 0x3a;
    buf[p + 6] = 0x30 + ((second / 10) | 0);
    buf[p + 7] = 0x30 + (second % 10);
    buf[p + 8] = 0x2e;
    for (let i = p + 14; i > p + 8; i--) {
      const tenth = (fraction / 10) | 0;
      buf[i] = 0x30 + fraction - tenth * 10;
      fraction = tenth;
    }
    buf[p + 15] = 0x5a;
    this.pos = p + 16;
  }
}
