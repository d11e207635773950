import { chmodSync, chownSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { codeCacheHeader, readCodeCache } from './code-cache.ts';

const root = process.geteuid?.() === 0;
let dir: string;
beforeEach(() => {
  dir = mkdtempSync(`${tmpdir()}/code-cache-`);
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const data = Buffer.from([1, 2, 3, 0, 255]);
function cacheFile(name: string, bodyId: string, mode = 0o644): string {
  const path = `${dir}/${name}`;
  writeFileSync(path, Buffer.concat([Buffer.from(codeCacheHeader(bodyId), 'latin1'), data]), { mode });
  chmodSync(path, mode);
  return path;
}

describe.skipIf(!root)('readCodeCache()', () => {
  it('returns the data after the header of a root-owned cache made for this body', () => {
    expect(readCodeCache(cacheFile('c', 'abc'), 'abc')).toEqual(data);
  });

  it('ignores a cache made for another body, a missing one, and one with nothing after its header', () => {
    expect(readCodeCache(cacheFile('c', 'abc'), 'abd')).toBeUndefined();
    expect(readCodeCache(`${dir}/missing`, 'abc')).toBeUndefined();
    writeFileSync(`${dir}/empty`, codeCacheHeader('abc'), { mode: 0o644 });
    expect(readCodeCache(`${dir}/empty`, 'abc')).toBeUndefined();
  });

  it('ignores a cache that others than root could have written', () => {
    expect(readCodeCache(cacheFile('g', 'abc', 0o664), 'abc')).toBeUndefined();
    expect(readCodeCache(cacheFile('o', 'abc', 0o646), 'abc')).toBeUndefined();
    const owned = cacheFile('u', 'abc');
    chownSync(owned, 65534, 0);
    expect(readCodeCache(owned, 'abc')).toBeUndefined();
  });

  it('does not follow a link to a cache, nor read what is not a regular file', () => {
    symlinkSync(cacheFile('real', 'abc'), `${dir}/link`);
    expect(readCodeCache(`${dir}/link`, 'abc')).toBeUndefined();
    expect(readCodeCache(dir, 'abc')).toBeUndefined();
  });
});
