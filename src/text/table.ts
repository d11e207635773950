// A text table that fits the terminal: each column as wide as its widest value (or its set width), and when the
// line is longer than the width there is, the widest column that may give way is narrowed (its
// values cut with `…`) until the line fits or every such column is at its narrowest. With
// `wide`, nothing is cut. Values are escaped here, so record text never reaches a terminal raw.

import type { Paint } from './colour.ts';
import { plain } from './colour.ts';
import { charLength as length, cut, escapeText, pad } from './terminal.ts';

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

/** The table as lines, one per row, after a header line of titles. */
export function renderTable(columns: readonly Column[], rows: ReadonlyArray<ReadonlyArray<string | null | undefined>>, layout: TableLayout): string {
  const paint = layout.paint ?? plain;
  const cells = rows.map((row) => columns.map((_, i) => escapeText(row[i] ?? '')));
  const natural = columns.map((c, i) => {
    const widest = Math.max(layout.headless ? 0 : length(c.title), ...cells.map((r) => length(r[i] as string)));
    if (c.width === undefined) return widest;
    return layout.wide ? Math.max(c.width, widest) : c.width;
  });
  const widths = layout.wide ? natural : fitColumns(columns, natural, layout.width);
  const line = (fields: readonly string[]) =>
    fields
      .map((f, i) => {
        const w = widths[i] as number;
        const text = layout.wide ? f : cut(f, w);
        if (columns[i]?.right) return text.padStart(w);
        return i === fields.length - 1 ? text : pad(text, w);
      })
      .join(' ')
      .trimEnd();
  const body = cells.map((r) => `${line(r)}\n`).join('');
  return layout.headless ? body : `${paint(line(columns.map((c) => c.title)), 'heading')}\n${body}`;
}
