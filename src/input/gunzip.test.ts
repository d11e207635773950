import { createHash } from 'node:crypto';
import { closeSync, mkdtempSync, openSync, readFileSync, readSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gzipBomb, gzipCopies } from '../../test/helpers/gzip.ts';
import { decompressedLimit, GunzipStream, minDecompressedLimit } from './gunzip.ts';
import { InputError } from './input-error.ts';

let dir = '';
beforeAll(() => {
  dir = mkdtempSync(`${tmpdir()}/ls-gunzip-`);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Everything a stream hands on: its size, digest and number of pieces, or the error it ended with. */
function drain(path: string): { size: number; sha: string; pieces: number; error: unknown } {
  const fd = openSync(path, 'r');
  const hash = createHash('sha256');
  const gunzip = new GunzipStream(path, fd);
  let size = 0;
  let pieces = 0;
  let error: unknown = null;
  try {
    for (let piece = gunzip.next(); piece !== null; piece = gunzip.next()) {
      hash.update(piece);
      size += piece.length;
      pieces++;
    }
  } catch (e) {
    error = e;
  } finally {
    gunzip.close();
    closeSync(fd);
  }
  return { size, sha: hash.digest('hex'), pieces, error };
}

const lines = Buffer.from(Array.from({ length: 4096 }, (_, i) => `{"schema":"logsphere/1","n":${i}}\n`).join(''));
const sha = (...buffers: Buffer[]) => {
  const hash = createHash('sha256');
  for (const b of buffers) hash.update(b);
  return hash.digest('hex');
};

describe('GunzipStream', () => {
  it('hands on a small file\'s content in pieces, from the file\'s start whatever the descriptor\'s position', () => {
    const path = `${dir}/small.jsonl.gz`;
    writeFileSync(path, gzipSync(lines));
    const fd = openSync(path, 'r');
    readSync(fd, Buffer.alloc(10)); // moves the descriptor's position
    const gunzip = new GunzipStream(path, fd);
    const pieces: Buffer[] = [];
    for (let piece = gunzip.next(); piece !== null; piece = gunzip.next()) pieces.push(Buffer.from(piece));
    closeSync(fd);
    expect(Buffer.concat(pieces).equals(lines)).toBe(true);
    expect(gunzip.position).toBe(lines.length);
    expect(gunzip.next()).toBeNull();
  });

  it('streams a content larger than one call takes through zlib, unchanged', async () => {
    const path = `${dir}/large.jsonl.gz`;
    await gzipCopies(path, lines, 400); // about 48 MiB
    const result = drain(path);
    expect(result.error).toBeNull();
    expect(result.size).toBe(lines.length * 400);
    expect(result.sha).toBe(sha(...Array.from({ length: 400 }, () => lines)));
    expect(result.pieces).toBeGreaterThan(100);
  });

  it('streams a file whose gzip trailer understates its content (members joined), unchanged', async () => {
    const path = `${dir}/members.jsonl.gz`;
    await gzipCopies(path, lines, 400);
    const last = gzipSync('last\n');
    writeFileSync(path, Buffer.concat([readFileSync(path), last]));
    const result = drain(path);
    expect(result.error).toBeNull();
    expect(result.size).toBe(lines.length * 400 + 5);
    expect(result.sha).toBe(sha(...Array.from({ length: 400 }, () => lines), Buffer.from('last\n')));
  });

  it('refuses a gzip bomb with an error naming the file, having handed on no more than its limit', async () => {
    const path = `${dir}/bomb.jsonl.gz`;
    await gzipBomb(path, 256); // 256 MiB of zeros in a few hundred KB
    const limit = decompressedLimit(readFileSync(path).length);
    expect(limit).toBe(minDecompressedLimit);
    const result = drain(path);
    expect(result.error).toBeInstanceOf(InputError);
    expect((result.error as Error).message).toBe(`Cannot read ${path}: decompressed size exceeds ${limit} bytes`);
    expect(result.size).toBeLessThanOrEqual(limit);
  });

  it('refuses what is not gzip, whether it takes one call or a stream', async () => {
    const path = `${dir}/not-gzip.jsonl.gz`;
    writeFileSync(path, 'not gzip at all\n');
    const small = drain(path).error;
    expect(small).toBeInstanceOf(InputError);
    expect((small as Error).message).toBe(`Cannot read ${path}: not a readable gzip file (incorrect header check)`);
    const cut = `${dir}/cut.jsonl.gz`;
    await gzipCopies(cut, lines, 400);
    truncateSync(cut, Math.floor(readFileSync(cut).length / 2));
    const streamed = drain(cut).error;
    expect(streamed).toBeInstanceOf(InputError);
    expect((streamed as Error).message).toBe(`Cannot read ${cut}: not a readable gzip file (unexpected end of file)`);
  });

  it('hands on what a damaged file held before its damage, then throws naming it, small or streamed', async () => {
    const small = `${dir}/truncated-small.jsonl.gz`;
    const whole = gzipSync(lines);
    writeFileSync(small, whole.subarray(0, Math.floor(whole.length / 2)));
    const cut = drain(small);
    expect((cut.error as Error).message).toBe(`Cannot read ${small}: not a readable gzip file (unexpected end of file)`);
    expect(cut.size).toBeGreaterThan(lines.length / 4);
    expect(cut.sha).toBe(sha(lines.subarray(0, cut.size)));
    const large = `${dir}/truncated-large.jsonl.gz`;
    await gzipCopies(large, lines, 400);
    truncateSync(large, Math.floor(readFileSync(large).length / 2));
    const streamed = drain(large);
    expect((streamed.error as Error).message).toBe(`Cannot read ${large}: not a readable gzip file (unexpected end of file)`);
    expect(streamed.size).toBeGreaterThan(lines.length * 100);
    const copies = Buffer.concat(Array.from({ length: Math.ceil(streamed.size / lines.length) }, () => lines));
    expect(streamed.sha).toBe(sha(copies.subarray(0, streamed.size)));
  });

  it('skips to an offset, giving the bytes before it, and goes on from there', () => {
    const path = `${dir}/skip.jsonl.gz`;
    writeFileSync(path, gzipSync(lines));
    const fd = openSync(path, 'r');
    const gunzip = new GunzipStream(path, fd);
    expect(gunzip.skip(100, 8).toString()).toBe(lines.subarray(92, 100).toString());
    expect(gunzip.skip(70_000, 64).toString()).toBe(lines.subarray(70_036, 70_100).toString());
    const rest: Buffer[] = [];
    for (let piece = gunzip.next(); piece !== null; piece = gunzip.next()) rest.push(Buffer.from(piece));
    expect(Buffer.concat(rest).equals(lines.subarray(70_100))).toBe(true);
    expect(gunzip.skip(10, 64)).toHaveLength(64);
    expect(gunzip.position).toBe(lines.length);
    closeSync(fd);
  });

  it('stops a stream closed halfway', async () => {
    const path = `${dir}/halfway.jsonl.gz`;
    await gzipCopies(path, lines, 400);
    const fd = openSync(path, 'r');
    const gunzip = new GunzipStream(path, fd);
    expect(gunzip.next()).not.toBeNull();
    gunzip.close();
    expect(gunzip.next()).toBeNull();
    closeSync(fd);
  });

  it('allows a file 100 times its compressed size, and at least 64 MiB', () => {
    expect(decompressedLimit(0)).toBe(64 << 20);
    expect(decompressedLimit(600 << 10)).toBe(64 << 20);
    expect(decompressedLimit(10 << 20)).toBe(1000 << 20);
  });
});
