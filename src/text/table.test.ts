import { describe, expect, it } from 'vitest';
import { coloured } from './colour.ts';
import { fitColumns, renderTable, type Column, type TableLayout } from './table.ts';
import { charLength, cut, escapeText } from './terminal.ts';

/** The table as it was laid out cell by cell: each value escaped and measured, each line trimmed. */
function reference(columns: readonly Column[], rows: ReadonlyArray<ReadonlyArray<string | null | undefined>>, layout: TableLayout): string {
  const paint = layout.paint ?? ((text: string) => text);
  const cells = rows.map((row) => columns.map((_, i) => escapeText(row[i] ?? '')));
  const natural = columns.map((c, i) => {
    const w = Math.max(layout.headless ? 0 : charLength(c.title), ...cells.map((row) => charLength(row[i] as string)));
    if (c.width === undefined) return w;
    return layout.wide ? Math.max(c.width, w) : c.width;
  });
  const widths = layout.wide ? natural : fitColumns(columns, natural, layout.width);
  const field = (text: string, i: number) => {
    const w = widths[i] as number;
    const chars = charLength(text);
    const value = layout.wide || chars <= w ? text : cut(text, w);
    if (columns[i]?.right) return value.padStart(w);
    return i === columns.length - 1 || chars >= w ? value : value + ' '.repeat(w - chars);
  };
  const lines: string[] = [];
  if (!layout.headless) lines.push(`${paint(columns.map((c, i) => field(c.title, i)).join(' ').trimEnd(), 'heading')}\n`);
  for (const row of cells) lines.push(`${row.map(field).join(' ').trimEnd()}\n`);
  return lines.join('');
}

let seed = 7;
const random = (n: number) => {
  seed = (seed * 1103515245 + 12345) % 2 ** 31;
  return seed % n;
};
const pieces = ['alice', 'pts/0', '203.0.113.7', 'sshd', ' ', '', 'x'.repeat(30), 'é', '…', '\u00a0', '\u3000', '\t', '\u001b[31m', '\\', '\u202e', '😀', 'a\nb', '\ud800'];
const value = () => (random(6) === 0 ? null : Array.from({ length: random(4) }, () => pieces[random(pieces.length)]).join(''));

describe('renderTable', () => {
  const columns: Column[] = [{ title: 'USER', min: 4 }, { title: 'TTY', min: 3 }, { title: 'FROM', min: 6 }, { title: 'N', right: true }, { title: 'SET', width: 5 }, { title: 'LAST' }];
  const layouts: TableLayout[] = [{ width: 80, wide: false }, { width: 30, wide: false }, { width: 20, wide: true }, { width: 60, wide: false, headless: true }, { width: 50, wide: false, paint: coloured }];

  it('lays out plain values as it lays out values that need escaping, cutting or trimming', () => {
    const plainRows = Array.from({ length: 50 }, (_, r) => [`user${r}`, `pts/${r * 7}`, `198.51.${r}.${r * 3}`, String(r * 11), r % 3 === 0 ? 'longer' : 'x', r % 4 === 0 ? '' : `id${r}`]);
    for (const layout of layouts) expect(renderTable(columns, plainRows, layout)).toBe(reference(columns, plainRows, layout));
  });

  it('gives the text a cell by cell layout gives on random values of every kind', () => {
    for (let round = 0; round < 200; round++) {
      const rows = Array.from({ length: random(8) }, () => columns.map(value));
      for (const layout of layouts) expect(renderTable(columns, rows, layout)).toBe(reference(columns, rows, layout));
    }
  });

  it('writes printable ASCII byte for byte as a cell by cell layout gives it, cut, padded, aligned and trimmed', () => {
    const ascii = ['alice', 'pts/0', ' ', '', 'x'.repeat(30), 'a b ', '~', '203.0.113.7', 'back\\slash'];
    const asciiValue = () => (random(6) === 0 ? null : Array.from({ length: random(4) }, () => ascii[random(ascii.length)]).join(''));
    const narrow: TableLayout[] = [...layouts, { width: 5, wide: false }, { width: 0, wide: false, headless: true }];
    for (let round = 0; round < 300; round++) {
      const rows = Array.from({ length: 1 + random(8) }, () => columns.map(asciiValue));
      for (const layout of narrow) {
        expect(renderTable(columns, rows, layout)).toBe(reference(columns, rows, layout));
      }
    }
  });

  it('escapes record text and ends no line in spaces', () => {
    const text = renderTable([{ title: 'USER' }, { title: 'FROM' }], [['eve\u001b[2J', ''], ['bob', 'a\u202eb ']], { width: 80, wide: false });
    expect(text).toBe('USER     FROM\neve\\e[2J\nbob      a\\u202eb\n');
    // A backslash is doubled even in a table of printable ASCII: `root\e[2J` typed at a login prompt is not an escape.
    expect(renderTable([{ title: 'USER' }], [['root\\e[2J']], { width: 80, wide: false })).toBe('USER\nroot\\\\e[2J\n');
  });
});
