import { describe, expect, it } from 'vitest';
import { JsonBytes } from './json-bytes.ts';
import { jsonText } from './json-text.ts';

describe('JsonBytes', () => {
  it('writes every piece of text in order, whole, in buffers of at most 1 MiB but for a piece larger than that', () => {
    const writes: Buffer[] = [];
    const out = new JsonBytes((bytes) => writes.push(Buffer.from(bytes)), 1 << 20, false);
    const pieces = ['[', ...Array.from({ length: 40_000 }, (_, i) => `{"n":${i},"u":"ë€😀\\u001b"},\n`), 'x'.repeat(3 << 20), ']'];
    for (const p of pieces) out.text(p);
    out.flush();
    expect(Buffer.concat(writes).toString('utf8')).toBe(pieces.join(''));
    expect(writes.filter((w) => w.length > 1 << 20)).toHaveLength(1);
    expect(writes.length).toBeGreaterThan(2);
  });

  it('fills its buffer again after a write when the sink does not keep it, and takes a new one when it does', () => {
    for (const keeps of [false, true]) {
      const got: Buffer[] = [];
      const copied: string[] = [];
      const out = new JsonBytes((bytes) => got.push(bytes) && copied.push(bytes.toString()), 64, keeps);
      out.text('first');
      out.flush();
      out.text('second');
      out.flush();
      out.flush();
      expect(copied).toEqual(['first', 'second']);
      expect(got[0]?.buffer === got[1]?.buffer && got[0]?.byteOffset === got[1]?.byteOffset).toBe(!keeps);
    }
  });

  it('writes hex digits as toString(16) does, zeros in front', () => {
    const got: Buffer[] = [];
    const out = new JsonBytes((bytes) => got.push(bytes));
    const cases: Array<[number, number]> = [[0, 8], [0xffffffff, 8], [0xdeadbeef, 8], [0x1234, 4], [0xf, 4], [0xabcd, 4]];
    for (const [n, digits] of cases) {
      out.reserve(digits);
      out.hex(n, digits);
    }
    out.flush();
    expect(Buffer.concat(got).toString()).toBe(cases.map(([n, d]) => n.toString(16).padStart(d, '0')).join(''));
  });

  it('writes strings as jsonText does, within jsonStringBound', () => {
    const strings = ['', 'alice', '198.51.100.7', 'b"o\\b', 'c\u001b[31m', 'd\u0085e\u2028\u202e', 'ë€😀', 'tab\there', '\u007f', '\u0000'.repeat(50), '\ud800'];
    for (const s of strings) {
      const got: Buffer[] = [];
      const out = new JsonBytes((bytes) => got.push(Buffer.from(bytes)), 4096, false);
      out.ascii('x');
      out.jsonString(s);
      expect(out.pos - 1).toBeLessThanOrEqual(JsonBytes.jsonStringBound(s));
      out.flush();
      expect(Buffer.concat(got).toString('utf8')).toBe(`x${jsonText(s)}`);
    }
  });
});
