import { closeSync, mkdtempSync, openSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { describe, expect, it } from 'vitest';
import { LineReader } from './line-reader.ts';
import { BackwardLines } from './newest-first.ts';

/** The lines and overlong count a forward read gives, with the same maximum. */
function forward(text: string, maxLine: number): { lines: string[]; overlong: number } {
  const out = { lines: [] as string[], overlong: 0 };
  const reader = new LineReader({ maxLine });
  const sink = { lines: (t: string) => out.lines.push(...t.split('\n').filter((l, i, all) => i < all.length - 1 || l !== '')), overlong: () => void out.overlong++ };
  reader.push(Buffer.from(text), sink);
  reader.end(sink);
  return out;
}

/** The same read backwards: pieces newest first, each piece's lines in their order. */
function backward(text: string, maxLine: number): { lines: string[]; overlong: number } {
  const dir = mkdtempSync(`${tmpdir()}/ls-backward-`);
  writeFileSync(`${dir}/f`, text);
  const fd = openSync(`${dir}/f`, 'r');
  try {
    const reader = new BackwardLines(fd, Buffer.byteLength(text), `${dir}/f`, maxLine);
    const pieces: string[][] = [];
    let overlong = 0;
    for (let piece = reader.next(); piece !== null; piece = reader.next()) {
      overlong += piece.overlong;
      pieces.push(piece.text.split('\n').filter((l, i, all) => i < all.length - 1 || l !== ''));
    }
    return { lines: pieces.reverse().flat(), overlong };
  } finally {
    closeSync(fd);
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('BackwardLines', () => {
  it('gives the lines a forward read gives, across pieces of 64 KiB and more, overlong ones skipped and counted', () => {
    let x = 7;
    const rand = (n: number) => {
      x = (x * 1103515245 + 12345) % 2 ** 31;
      return (x >>> 4) % n;
    };
    for (let round = 0; round < 12; round++) {
      const lines: string[] = [];
      let size = 0;
      while (size < 400_000) {
        // Mostly short lines; some longer than the maximum (2,000 bytes here), some empty, some ending in CR.
        const kind = rand(40);
        const length = kind === 0 ? 2_001 + rand(150_000) : kind === 1 ? 0 : rand(300);
        const line = `${'é€x'.repeat(length).slice(0, length)}${kind === 2 ? '\r' : ''}`;
        lines.push(line);
        size += Buffer.byteLength(line) + 1;
      }
      const text = lines.join('\n') + (round % 2 ? '\n' : '');
      expect(backward(text, 2_000)).toEqual(forward(text, 2_000));
    }
  });

  it('reads a file of one line, an empty file, and a first line that is too long', () => {
    for (const text of ['', 'one line, no newline', 'one\n', `${'y'.repeat(5_000)}\nshort\n`, `short\n${'z'.repeat(70_000)}`]) {
      expect(backward(text, 2_000)).toEqual(forward(text, 2_000));
    }
  });
});
