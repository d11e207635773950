import { describe, expect, it } from 'vitest';
import { LineReader, maxLineBytes, type LineReaderOptions } from './line-reader.ts';

/** Feeds `input` in chunks of the given sizes (cycled), then ends; what came out. */
function feed(input: Buffer, sizes: number[], options: LineReaderOptions = {}, end = true) {
  const reader = new LineReader(options);
  const out: Array<string | { overlong: true }> = [];
  const sink = {
    lines: (text: string) => {
      const parts = text.split('\n');
      if (parts[parts.length - 1] === '') parts.pop();
      out.push(...parts);
    },
    overlong: () => out.push({ overlong: true }),
  };
  // The chunk buffer is reused, as the readers do: the reader must copy what it keeps.
  const scratch = Buffer.alloc(Math.max(...sizes));
  for (let at = 0, i = 0; at < input.length; i++) {
    const n = Math.min(sizes[i % sizes.length] as number, input.length - at);
    input.copy(scratch, 0, at, at + n);
    reader.push(scratch.subarray(0, n), sink);
    scratch.fill(0x78);
    at += n;
  }
  if (end) reader.end(sink);
  return { out, reader };
}

/** The lines of `text` as the reader should give them: over `max` bytes, an overlong mark. */
function expected(text: string, max: number) {
  const parts = text.split('\n');
  if (parts[parts.length - 1] === '') parts.pop();
  return parts.map((p) => (Buffer.byteLength(p) > max ? { overlong: true as const } : p));
}

describe('LineReader', () => {
  it('gives the same lines whatever the chunk boundaries, a partial line carried across chunks', () => {
    const text = 'alpha\nbeta\n\ngamma delta\né€😀 multi-byte\nlast without newline';
    for (const sizes of [[1], [2, 3], [7], [64], [1 << 16]]) {
      expect(feed(Buffer.from(text), sizes).out).toEqual(expected(text, maxLineBytes));
    }
  });

  it('skips a line longer than the maximum to its newline, reports it once, and reads on', () => {
    const max = 16;
    const text = `short\n${'x'.repeat(17)}\nnext\n${'y'.repeat(16)}\n${'z'.repeat(100)}\n\nafter\n${'w'.repeat(40)}`;
    for (const sizes of [[1], [3, 5], [16], [17], [40], [1000]]) {
      const { out } = feed(Buffer.from(text), sizes, { maxLine: max });
      expect(out).toEqual(['short', { overlong: true }, 'next', 'y'.repeat(16), { overlong: true }, '', 'after', { overlong: true }]);
    }
  });

  it('matches a plain split on random lines and random chunk sizes', () => {
    let seed = 11;
    const random = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    for (let round = 0; round < 50; round++) {
      const lines = Array.from({ length: 1 + random(40) }, () => 'abcdefghij'.repeat(random(8)).slice(0, random(70)));
      const text = lines.join('\n') + (random(2) === 0 ? '\n' : '');
      const sizes = Array.from({ length: 5 }, () => 1 + random(90));
      expect(feed(Buffer.from(text), sizes, { maxLine: 32 }).out).toEqual(expected(text, 32));
    }
  });

  it('skips a 64 MiB line fed in 64 KiB chunks and goes on after its newline', () => {
    const reader = new LineReader({ maxLine: 1024 });
    const lines: string[] = [];
    let overlong = 0;
    const sink = { lines: (t: string) => lines.push(t), overlong: () => overlong++ };
    const chunk = Buffer.alloc(1 << 16, 0x61);
    for (let i = 0; i < 1024; i++) reader.push(chunk, sink); // 64 MiB without a newline
    expect(reader.position).toBe(64 << 20);
    expect(reader.lineEnd).toBe(0);
    reader.push(Buffer.from('\nrecord\n'), sink);
    expect({ lines, overlong }).toEqual({ lines: ['record\n'], overlong: 1 });
    expect(reader.lineEnd).toBe((64 << 20) + 8);
  });

  it('tells where the last whole line ends and keeps the bytes before it', () => {
    const { reader } = feed(Buffer.from('0123456789\nabc\npartial'), [4], { keep: 6 }, false);
    expect(reader.position).toBe(22);
    expect(reader.lineEnd).toBe(15);
    expect(reader.bytesBeforeLineEnd().toString()).toBe('9\nabc\n');
    reader.end({ lines: () => undefined, overlong: () => undefined });
    expect(reader.lineEnd).toBe(22);
    expect(reader.bytesBeforeLineEnd().toString()).toBe('artial');
  });

  it('starts again at an offset, after given bytes', () => {
    const reader = new LineReader({ keep: 4 });
    reader.reset(100, Buffer.from('xyz\n'));
    expect(reader.bytesBeforeLineEnd().toString()).toBe('xyz\n');
    const lines: string[] = [];
    reader.push(Buffer.from('a'), { lines: (t) => lines.push(t), overlong: () => undefined });
    expect([reader.position, reader.lineEnd, reader.bytesBeforeLineEnd().toString()]).toEqual([101, 100, 'xyz\n']);
    reader.push(Buffer.from('b\n'), { lines: (t) => lines.push(t), overlong: () => undefined });
    expect([reader.position, reader.lineEnd, reader.bytesBeforeLineEnd().toString(), lines]).toEqual([103, 103, '\nab\n', ['ab\n']]);
  });
});
