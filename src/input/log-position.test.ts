import { closeSync, mkdtempSync, openSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { gzipSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { bytesBefore, plainFileHolds, positionTailBytes, scanCompressed } from './log-position.ts';

let dir = '';
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const text = Buffer.from(Array.from({ length: 50 }, (_, i) => `{"line":${i}}\n`).join(''));

describe('a position in the log', () => {
  it('is recognised in a plain file by the bytes before its offset, and not in a file rewritten in place', () => {
    dir = mkdtempSync(`${tmpdir()}/ls-position-`);
    writeFileSync(`${dir}/a`, text);
    const fd = openSync(`${dir}/a`, 'r');
    const offset = text.indexOf('{"line":20}');
    const tail = bytesBefore(fd, offset).toString('hex');
    expect(Buffer.from(tail, 'hex')).toEqual(text.subarray(offset - positionTailBytes, offset));
    expect(plainFileHolds(fd, text.length, { offset, tail })).toBe(true);
    expect(plainFileHolds(fd, offset - 1, { offset, tail })).toBe(false);
    closeSync(fd);
    writeFileSync(`${dir}/a`, Buffer.from(text.toString().replace('{"line":19}', '{"line":91}')));
    const again = openSync(`${dir}/a`, 'r');
    expect(plainFileHolds(again, text.length, { offset, tail })).toBe(false);
    closeSync(again);
  });

  it('is found at the same offset of a compressed copy, whose length and last bytes are scanned in one pass', () => {
    dir = mkdtempSync(`${tmpdir()}/ls-position-`);
    writeFileSync(`${dir}/a.gz`, gzipSync(text));
    const fd = openSync(`${dir}/a.gz`, 'r');
    const offset = text.indexOf('{"line":20}');
    const scan = scanCompressed(`${dir}/a.gz`, fd, [offset, 5, text.length + 10]);
    expect(scan.length).toBe(text.length);
    expect(scan.last).toEqual(text.subarray(text.length - positionTailBytes));
    expect(scan.before.get(offset)).toEqual(text.subarray(offset - positionTailBytes, offset));
    expect(scan.before.get(5)).toEqual(text.subarray(0, 5));
    expect(scan.before.has(text.length + 10)).toBe(false);
    closeSync(fd);
  });
});
