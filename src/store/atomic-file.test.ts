import { chownSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { afterEach, describe, expect, it } from 'vitest';
import { ensureOwnDirSync, replaceFileSync, writeFileAtomicSync } from './atomic-file.ts';

let dir = '';
afterEach(() => rmSync(dir, { recursive: true, force: true }));
const isRoot = process.getuid?.() === 0;

describe('ensureOwnDirSync()', () => {
  it('creates a missing directory with the mode asked for, whatever the umask', () => {
    dir = mkdtempSync(`${tmpdir()}/ls-atomic-`);
    const old = process.umask(0o077);
    try {
      ensureOwnDirSync(`${dir}/run`, 0o755);
    } finally {
      process.umask(old);
    }
    expect(statSync(`${dir}/run`).mode & 0o7777).toBe(0o755);
    ensureOwnDirSync(`${dir}/run`, 0o700); // an existing one is left as it is
    expect(statSync(`${dir}/run`).mode & 0o7777).toBe(0o755);
  });

  it('refuses a link, a file, and (as root) a directory another user owns', () => {
    dir = mkdtempSync(`${tmpdir()}/ls-atomic-`);
    mkdirSync(`${dir}/real`);
    symlinkSync(`${dir}/real`, `${dir}/link`);
    writeFileSync(`${dir}/file`, '');
    expect(() => ensureOwnDirSync(`${dir}/link`, 0o755)).toThrow(`Refusing to write through ${dir}/link: a symbolic link`);
    expect(() => ensureOwnDirSync(`${dir}/file`, 0o755)).toThrow(`Refusing to write through ${dir}/file: a regular file`);
    if (isRoot) {
      chownSync(`${dir}/real`, 65534, 65534);
      expect(() => ensureOwnDirSync(`${dir}/real`, 0o755)).toThrow(`Refusing to write through ${dir}/real: owned by uid 65534, not by this user (uid 0)`);
    }
  });
});

describe('writeFileAtomicSync() and replaceFileSync()', () => {
  it('name the file asked for when it cannot be written, not their temp file', () => {
    dir = mkdtempSync(`${tmpdir()}/ls-atomic-`);
    expect(() => replaceFileSync(`${dir}/missing/report.html`, 'x', 0o640)).toThrow(`Cannot write ${dir}/missing/report.html: ENOENT`);
    expect(() => replaceFileSync(`${dir}/missing/report.html`, 'x', 0o640)).toThrow(expect.objectContaining({ code: 'ENOENT', path: `${dir}/missing/report.html` }));
  });

  it("give the file the mode asked for whatever the umask (a user's, under su)", () => {
    dir = mkdtempSync(`${tmpdir()}/ls-atomic-`);
    const old = process.umask(0o777);
    try {
      writeFileAtomicSync(dir, 'entry.json', '{}', 0o644);
    } finally {
      process.umask(old);
    }
    expect(statSync(`${dir}/entry.json`).mode & 0o777).toBe(0o644);
  });

  it('replace a file whole, through a temp file that a planted link cannot redirect, leaving no temp file', () => {
    dir = mkdtempSync(`${tmpdir()}/ls-atomic-`);
    writeFileSync(`${dir}/target`, 'secret\n');
    symlinkSync(`${dir}/target`, `${dir}/state.json`);
    replaceFileSync(`${dir}/state.json`, '{"v":1}', 0o600);
    expect(readFileSync(`${dir}/target`, 'utf8')).toBe('secret\n');
    expect(readFileSync(`${dir}/state.json`, 'utf8')).toBe('{"v":1}');
    expect(statSync(`${dir}/state.json`).mode & 0o777).toBe(0o600);
    writeFileAtomicSync(dir, 'entry.json', Buffer.from('x'.repeat(100_000)), 0o644);
    expect(readFileSync(`${dir}/entry.json`, 'utf8')).toHaveLength(100_000);
    expect(readdirSync(dir).sort()).toEqual(['entry.json', 'state.json', 'target']);
  });
});
