// Compact storage for the reconciler: growable typed columns, an interning table for repeated
// strings, and a hash table of session ids kept as 128-bit numbers. A million events would take
// hundreds of megabytes as objects; as columns they fit within the 150 MB `last` may use.

import type { JsonBytes } from '../record/json-bytes.ts';
import { jsonTextBound } from '../record/json-text.ts';

type Typed = Float64Array | Int32Array | Uint32Array;

/** Entries per chunk of a column (a power of two). */
const chunkBits = 16;
const chunkSize = 1 << chunkBits;
const chunkMask = chunkSize - 1;

/**
 * A column of numbers in chunks of 65,536: it grows without copying, and without holding the old
 * and the new array at once, which is most of a million sessions' peak memory. The first chunk
 * starts small and doubles, for the many small reconciles.
 */
export class Column<T extends Typed> {
  private readonly chunks: T[];
  length = 0;
  constructor(private readonly make: (size: number) => T) {
    this.chunks = [make(1024)];
  }
  push(value: number): void {
    const c = this.length >>> chunkBits;
    let chunk = this.chunks[c];
    if (chunk === undefined) this.chunks.push((chunk = this.make(chunkSize)));
    else if (c === 0 && this.length === chunk.length) {
      const bigger = this.make(chunk.length * 2);
      bigger.set(chunk);
      this.chunks[0] = chunk = bigger;
    }
    chunk[this.length++ & chunkMask] = value;
  }
  get(i: number): number {
    return (this.chunks[i >>> chunkBits] as T)[i & chunkMask] as number;
  }
  set(i: number, value: number): void {
    (this.chunks[i >>> chunkBits] as T)[i & chunkMask] = value;
  }
}

export const float64 = () => new Column((n) => new Float64Array(n));
export const int32 = () => new Column((n) => new Int32Array(n));
export const uint32 = () => new Column((n) => new Uint32Array(n));

/** A lone surrogate: what UTF-8 cannot hold. */
const loneSurrogate = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
/** The first byte of a string kept as its JSON text: never a byte of UTF-8. */
const asJson = 0xff;

/**
 * Strings kept as their UTF-8 bytes, one after another: string k is bytes[starts[k], starts[k+1]).
 * A table of a batch's strings costs a fraction of the string objects, and a string is made only
 * when asked for (output copies the bytes). A string UTF-8 cannot hold (a lone surrogate, which a
 * record's JSON may carry) is kept as 0xFF and its JSON text, and read back as it was.
 */
export class StringTable {
  constructor(
    readonly bytes: Buffer,
    readonly starts: Uint32Array,
  ) {}

  static of(strings: readonly string[]): StringTable {
    const kept = strings.map((s) => (loneSurrogate.test(s) ? JSON.stringify(s) : null));
    const starts = new Uint32Array(strings.length + 1);
    let length = 0;
    strings.forEach((s, k) => {
      starts[k] = length;
      const json = kept[k];
      length += json == null ? Buffer.byteLength(s) : 1 + Buffer.byteLength(json);
    });
    starts[strings.length] = length;
    const bytes = Buffer.allocUnsafeSlow(length);
    strings.forEach((s, k) => {
      const at = starts[k] as number;
      const json = kept[k];
      if (json == null) bytes.write(s, at);
      else {
        bytes[at] = asJson;
        bytes.write(json, at + 1);
      }
    });
    return new StringTable(bytes, starts);
  }

  get length(): number {
    return this.starts.length - 1;
  }

  /** Strings already decoded, by index: one string per entry, whose hash a Map keeps. */
  private decoded: Array<string | undefined> | undefined;

  get(k: number): string {
    const known = this.decoded?.[k];
    if (known !== undefined) return known;
    const value = this.decode(k);
    (this.decoded ??= new Array<string | undefined>(this.length))[k] = value;
    return value;
  }

  private decode(k: number): string {
    const start = this.starts[k] as number;
    const end = this.starts[k + 1] as number;
    if (end > start && this.bytes[start] === asJson) {
      try {
        const value: unknown = JSON.parse(this.bytes.toString('utf8', start + 1, end));
        if (typeof value === 'string') return value;
      } catch {
        // damaged: read as UTF-8 below
      }
    }
    return this.bytes.toString('utf8', start, end);
  }
}

/** Ids from here on are strings of tables (Interner.addTable); below, strings looked up one by one. */
const tableIds = 1 << 30;

/** Strings by number; -1 stands for null. */
export class Interner {
  private readonly ids = new Map<string, number>();
  private readonly values: string[] = [];
  private readonly tables: StringTable[] = [];
  /** The id of each table's first string. */
  private readonly bases: number[] = [];
  private nextTableId = tableIds;
  /** The table found last: lookups come in runs of one table. */
  private lastTable = 0;

  id(value: string | null): number {
    if (value === null) return -1;
    let id = this.ids.get(value);
    if (id === undefined) {
      id = this.values.length;
      this.values.push(value);
      this.ids.set(value, id);
    }
    return id;
  }

  /** The strings looked up one by one (id()), by their ids. */
  own(): readonly string[] {
    return this.values;
  }

  /**
   * Takes a table of strings as it is, without looking any of them up (the strings of a batch of
   * records, each table without repeats): string k of it gets the id base + k, and base is
   * returned. A string may then have more than one id: ids stand for values, never compare them.
   */
  addTable(table: StringTable): number {
    const base = this.nextTableId;
    if (base + table.length >= 2 ** 31) throw new RangeError('more strings than a reconcile can number');
    this.tables.push(table);
    this.bases.push(base);
    this.nextTableId += table.length;
    return base;
  }

  /** The table holding id (>= tableIds). */
  private tableOf(id: number): number {
    const { bases } = this;
    let t = this.lastTable;
    if (!(id >= (bases[t] as number) && (t + 1 === bases.length || id < (bases[t + 1] as number)))) {
      let lo = 0;
      let hi = bases.length - 1;
      while (lo < hi) {
        const mid = (lo + hi + 1) >> 1;
        if ((bases[mid] as number) <= id) lo = mid;
        else hi = mid - 1;
      }
      this.lastTable = t = lo;
    }
    return t;
  }

  value(id: number): string | null {
    if (id < tableIds) return id < 0 ? null : (this.values[id] as string);
    const t = this.tableOf(id);
    return (this.tables[t] as StringTable).get(id - (this.bases[t] as number));
  }

  /** The most jsonInto() writes for id. */
  jsonRoom(id: number): number {
    if (id < tableIds) return id < 0 ? 4 : jsonTextBound((this.values[id] as string).length);
    const t = this.tableOf(id);
    const { starts } = this.tables[t] as StringTable;
    const k = id - (this.bases[t] as number);
    // A UTF-8 byte is at most one UTF-16 unit.
    return jsonTextBound((starts[k + 1] as number) - (starts[k] as number));
  }

  /** The string of id as jsonText writes it (null for -1), into `out` (room made by the caller, jsonRoom). */
  jsonInto(id: number, out: JsonBytes): void {
    if (id < tableIds) {
      if (id < 0) out.ascii('null');
      else out.jsonString(this.values[id] as string);
      return;
    }
    const t = this.tableOf(id);
    const { bytes, starts } = this.tables[t] as StringTable;
    const k = id - (this.bases[t] as number);
    if (!out.plainJsonString(bytes, starts[k] as number, starts[k + 1] as number)) out.jsonString(this.value(id) as string);
  }
}

const hexPairs = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));
const hex8 = (n: number) => `${hexPairs[n >>> 24]}${hexPairs[(n >>> 16) & 255]}${hexPairs[(n >>> 8) & 255]}${hexPairs[n & 255]}`;

/** A lowercase UUID (validated) as four unsigned 32-bit words. */
export function uuidWords(uuid: string): [number, number, number, number] {
  const w0 = hexOf(uuid, 0, 8);
  const w1 = hexOf(uuid, 9, 13) * 0x10000 + hexOf(uuid, 14, 18);
  const w2 = hexOf(uuid, 19, 23) * 0x10000 + hexOf(uuid, 24, 28);
  const w3 = hexOf(uuid, 28, 36);
  // (NaN where a digit is not hex: every comparison with it is false.)
  if (w0 >= 0 && w1 >= 0 && w2 >= 0 && w3 >= 0) return [w0, w1, w2, w3];
  // Not hex throughout (never a valid record's id): as parseInt reads it.
  return [
    parseInt(uuid.slice(0, 8), 16),
    parseInt(uuid.slice(9, 13) + uuid.slice(14, 18), 16),
    parseInt(uuid.slice(19, 23) + uuid.slice(24, 28), 16),
    parseInt(uuid.slice(28, 36), 16),
  ];
}

/** The hex digits of `text` from `from` to `to` as a number; NaN if one is not a hex digit. */
function hexOf(text: string, from: number, to: number): number {
  let value = 0;
  for (let i = from; i < to; i++) {
    const c = text.charCodeAt(i);
    const digit = c >= 48 && c <= 57 ? c - 48 : c >= 97 && c <= 102 ? c - 87 : c >= 65 && c <= 70 ? c - 55 : Number.NaN;
    value = value * 16 + digit;
  }
  return value;
}

/** The UUID text of four 32-bit words. */
export function uuidOfWords(w: readonly number[]): string {
  const a = hex8(w[0] as number);
  const b = hex8(w[1] as number);
  const c = hex8(w[2] as number);
  const d = hex8(w[3] as number);
  return `${a}-${b.slice(0, 4)}-${b.slice(4)}-${c.slice(0, 4)}-${c.slice(4)}${d}`;
}

/** Session ids (validated lowercase UUIDs) as four 32-bit words, found by a hash table. */
export class UuidTable {
  private readonly words = uint32();
  private slots = new Int32Array(1 << 12); // index + 1; 0 is empty
  private count = 0;

  private static hash(w: readonly number[]): number {
    let h = Math.imul((w[3] as number) ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(w[2] as number, 0xc2b2ae35) ^ (w[1] as number) ^ (w[0] as number);
    h ^= h >>> 16;
    return h >>> 0;
  }

  private slotOf(w: readonly number[]): number {
    const mask = this.slots.length - 1;
    let slot = UuidTable.hash(w) & mask;
    for (;;) {
      const entry = this.slots[slot] as number;
      if (entry === 0) return slot;
      const base = (entry - 1) * 4;
      if (this.words.get(base) === w[0] && this.words.get(base + 1) === w[1] && this.words.get(base + 2) === w[2] && this.words.get(base + 3) === w[3]) {
        return slot;
      }
      slot = (slot + 1) & mask;
    }
  }

  /** The index stored for the id of these words (as uuidWords gives them), or -1. */
  findWords(w: readonly number[]): number {
    return (this.slots[this.slotOf(w)] as number) - 1;
  }

  /** Stores the id of these words as the next index (the caller checked that it is new). */
  addWords(w: readonly number[]): number {
    if ((this.count + 1) * 2 > this.slots.length) this.grow();
    const index = this.count++;
    for (const word of w) this.words.push(word);
    this.slots[this.slotOf(w)] = index + 1;
    return index;
  }

  /** The index stored for `uuid`, or -1. */
  find(uuid: string): number {
    const entry = this.slots[this.slotOf(uuidWords(uuid))] as number;
    return entry - 1;
  }

  /** Stores `uuid` as the next index (the caller checked that it is new); returns the index. */
  add(uuid: string): number {
    if ((this.count + 1) * 2 > this.slots.length) this.grow();
    const w = uuidWords(uuid);
    const index = this.count++;
    for (const word of w) this.words.push(word);
    this.slots[this.slotOf(w)] = index + 1;
    return index;
  }

  /** Word `k` (0…3) of the id at `index`. */
  wordAt(index: number, k: number): number {
    return this.words.get(index * 4 + k);
  }

  uuidAt(index: number): string {
    return uuidOfWords([this.words.get(index * 4), this.words.get(index * 4 + 1), this.words.get(index * 4 + 2), this.words.get(index * 4 + 3)]);
  }

  private grow(): void {
    this.slots = new Int32Array(this.slots.length * 2);
    const mask = this.slots.length - 1;
    for (let i = 0; i < this.count; i++) {
      const w = [this.words.get(i * 4), this.words.get(i * 4 + 1), this.words.get(i * 4 + 2), this.words.get(i * 4 + 3)];
      let slot = UuidTable.hash(w) & mask;
      while (this.slots[slot] !== 0) slot = (slot + 1) & mask;
      this.slots[slot] = i + 1;
    }
  }
}
