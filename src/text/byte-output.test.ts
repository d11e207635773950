import { describe, expect, it } from 'vitest';
import { ByteOutput } from './byte-output.ts';

describe('ByteOutput', () => {
  it('writes every piece in order, whole, in buffers of at most 1 MiB but for a piece larger than that', () => {
    const writes: Buffer[] = [];
    const out = new ByteOutput((bytes) => writes.push(Buffer.from(bytes)));
    const pieces = ['[', ...Array.from({ length: 40_000 }, (_, i) => `{"n":${i},"u":"ë€😀\\u001b"},\n`), 'x'.repeat(3 << 20), ']'];
    for (const p of pieces) out.add(p);
    out.flush();
    expect(Buffer.concat(writes).toString('utf8')).toBe(pieces.join(''));
    expect(writes.filter((w) => w.length > 1 << 20)).toHaveLength(1);
    expect(writes.length).toBeGreaterThan(2);
  });

  it('fills its buffer again after a write: what a writer keeps, it copies', () => {
    const copied: string[] = [];
    const out = new ByteOutput((bytes) => copied.push(Buffer.from(bytes).toString()));
    out.add('first');
    out.flush();
    out.add('second');
    out.flush();
    out.flush();
    expect(copied).toEqual(['first', 'second']);
  });
});
