// A text table that fits the terminal: each column as wide as its widest value (or its set width), and when the
// line is longer than the width there is, the widest column that may give way is narrowed (its
// values cut with `…`) until the line fits or every such column is at its narrowest. With
// `wide`, nothing is cut. Values are escaped here, so record text never reaches a terminal raw.

import type { Paint } from './colour.ts';
import { plain } from './colour.ts';
import { charLength as length, cut, escapeText } from './terminal.ts';

export interface Column {
  title: string;
  /** A set width, as util-linux's tables have (values cut to it, shorter ones padded); else as wide as its widest value. */
  width?: number;
  /** The narrowest the column may be cut to; a column without one is never cut. */
  min?: number;
  right?: boolean;
}

export interface TableLayout {
  /** The width the lines should fit. */
  width: number;
  /** Never cut a value. */
  wide: boolean;
  /** No header line. */
  headless?: boolean;
  paint?: Paint;
}

/** Column widths: the widest value of each, then narrowed until the line fits `width`. */
export function fitColumns(columns: readonly Column[], natural: readonly number[], width: number): number[] {
  const widths = [...natural];
  let total = widths.reduce((a, b) => a + b, 0) + Math.max(0, widths.length - 1);
  while (total > width) {
    let widest = -1;
    for (let i = 0; i < columns.length; i++) {
      const min = columns[i]?.min;
      if (min === undefined || (widths[i] as number) <= min) continue;
      if (widest < 0 || (widths[i] as number) > (widths[widest] as number)) widest = i;
    }
    if (widest < 0) break;
    const min = columns[widest]?.min as number;
    const step = Math.min(total - width, (widths[widest] as number) - min, Math.max(1, (widths[widest] as number) - secondWidest(widths, widest)));
    widths[widest] = (widths[widest] as number) - step;
    total -= step;
  }
  return widths;
}

/** The largest width other than column `skip`'s. */
function secondWidest(widths: readonly number[], skip: number): number {
  let best = 0;
  widths.forEach((w, i) => {
    if (i !== skip && w > best) best = w;
  });
  return best;
}

/** Strings of spaces by length, made as the widths of a table ask for them. */
const spaces: string[] = [''];
function padding(n: number): string {
  for (let i = spaces.length; i <= n; i++) spaces[i] = `${spaces[i - 1] as string} `;
  return spaces[n] as string;
}

/** Printable ASCII that escapeText leaves as it is (a backslash it doubles). */
const printableAscii = /^[\x20-\x5b\x5d-\x7e]*$/;

/** Whitespace that trimEnd() would take off the end of a line. */
const endsInSpace = /\s$/;

/** The table as lines, one per row, after a header line of titles, as UTF-8. */
export function renderTableBytes(columns: readonly Column[], rows: ReadonlyArray<ReadonlyArray<string | null | undefined>>, layout: TableLayout): Buffer {
  return renderColumnsBytes(columns, columns.map((_, i) => rows.map((row) => row[i])), layout);
}

/**
 * renderTableBytes of a table given column by column (`values[i][r]`: column i of row r): a table
 * of thousands of rows is laid out once per call, mostly before the JIT has seen this code, so
 * the work on each column is left to built-ins where it can be (map, join, a regular expression),
 * and the rest is a loop per column or one pass writing bytes.
 */
export function renderColumnsBytes(columns: readonly Column[], values: ReadonlyArray<ReadonlyArray<string | null | undefined>>, layout: TableLayout): Buffer {
  const paint = layout.paint ?? plain;
  const n = columns.length;
  const count = values[0]?.length ?? 0;
  const given = values.map((col) => (col.includes(null) || col.includes(undefined) ? col.map((v) => v ?? '') : col) as readonly string[]);
  // Printable ASCII but `\` throughout (the usual table): nothing to escape, a character a byte, and the
  // lines written byte for byte (asciiLine). Otherwise every value escaped and measured as text.
  const ascii = given.every((col) => printableAscii.test(col.join('')));
  const cells = ascii ? given : given.map((col) => col.map(escapeText));
  const lengths = cells.map((col) => (ascii ? null : Int32Array.from(col, length)));
  const widest = columns.map((c, i) => {
    let w = layout.headless ? 0 : length(c.title);
    const col = cells[i] as readonly string[];
    const lens = lengths[i];
    for (let r = 0; r < count; r++) w = Math.max(w, lens ? (lens[r] as number) : (col[r] as string).length);
    return w;
  });
  const natural = columns.map((c, i) => {
    const w = widest[i] as number;
    if (c.width === undefined) return w;
    return layout.wide ? Math.max(c.width, w) : c.width;
  });
  const widths = layout.wide ? natural : fitColumns(columns, natural, layout.width);
  const right = columns.map((c) => c.right === true);
  /** A line of cells, each cut to its column and padded to it but in the last column, without trailing whitespace. */
  const line = (row: readonly string[], chars: ArrayLike<number>): string => {
    let text = '';
    let last = '';
    for (let i = 0; i < n; i++) {
      const w = widths[i] as number;
      const length = chars[i] as number;
      // A cut value is as wide as its column already.
      last = layout.wide || length <= w ? (row[i] as string) : cut(row[i] as string, w);
      if (i > 0) text += ' ';
      if (right[i]) text += last.padStart(w);
      else text += i === n - 1 || length >= w ? last : last + padding(w - length);
    }
    return last === '' || endsInSpace.test(last) ? text.trimEnd() : text;
  };
  const head = layout.headless ? '' : `${paint(line(columns.map((c) => c.title), columns.map((c) => length(c.title))), 'heading')}\n`;
  // The lines go into one buffer as they are made: no string of the whole table to build and
  // flatten. A line takes at most 3 bytes a UTF-16 unit, and a column, padded or cut to its width
  // in characters, at most twice its width in units.
  let most = n;
  for (const w of widths) most += 2 * w;
  const out = Buffer.allocUnsafe(Buffer.byteLength(head) + (count === 0 ? 0 : count * (3 * most + 1)));
  let at = out.write(head);
  for (let r = 0; r < count; r++) {
    if (ascii) at = asciiLine(out, at, cells, r, widths, right, layout.wide);
    else {
      const row = cells.map((col) => col[r] as string);
      at += out.write(line(row, lengths.map((lens, i) => (lens ? (lens[r] as number) : (row[i] as string).length))), at);
    }
    out[at++] = 0x0a;
  }
  return out.subarray(0, at);
}

/**
 * line()'s line of row `r`, for cells that are all printable ASCII, written as bytes straight into
 * `out` at `at` (a character is a byte, and no string is made); returns where it ends.
 */
function asciiLine(out: Buffer, at: number, cells: ReadonlyArray<readonly string[]>, r: number, widths: readonly number[], right: readonly boolean[], wide: boolean): number {
  const n = widths.length;
  let lastEmpty = false;
  for (let i = 0; i < n; i++) {
    const w = widths[i] as number;
    const value = (cells[i] as readonly string[])[r] as string;
    const length = value.length;
    const isCut = !wide && length > w;
    // What is shown of the value: all of it, or its first w - 1 characters and `…`.
    const kept = isCut ? Math.max(0, w - 1) : length;
    const shown = isCut ? kept + 1 : length;
    if (i > 0) out[at++] = 0x20;
    if (right[i]) for (let p = shown; p < w; p++) out[at++] = 0x20;
    for (let c = 0; c < kept; c++) out[at++] = value.charCodeAt(c);
    if (isCut) {
      out[at++] = 0xe2; // U+2026 …
      out[at++] = 0x80;
      out[at++] = 0xa6;
    }
    if (!right[i] && i !== n - 1) for (let p = length; p < w; p++) out[at++] = 0x20;
    lastEmpty = shown === 0 || (!isCut && value.charCodeAt(length - 1) === 0x20);
  }
  // As line() trims: when the last value shows nothing or ends in a space, the spaces before the end go.
  if (lastEmpty) while (out[at - 1] === 0x20) at--;
  return at;
}

/** The table as lines, one per row, after a header line of titles. */
export function renderTable(columns: readonly Column[], rows: ReadonlyArray<ReadonlyArray<string | null | undefined>>, layout: TableLayout): string {
  return renderTableBytes(columns, rows, layout).toString();
}
