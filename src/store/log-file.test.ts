import { spawnSync } from 'node:child_process';
import { chownSync, closeSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, statSync, symlinkSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { afterEach, describe, expect, it } from 'vitest';
import { lookupGid } from '../sys/accounts.ts';
import { RefusedPathError } from './errors.ts';
import { ensureLogDir, logDirMode, logFileMode, openLog, type LogTarget } from './log-file.ts';

let dir = '';
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function scratch(): LogTarget {
  dir = mkdtempSync(`${tmpdir()}/ls-logfile-`);
  return { logDir: `${dir}/log`, logFile: `${dir}/log/sessions.jsonl`, runDir: `${dir}/run`, fsync: false, maxBytes: 0 };
}

const isRoot = process.geteuid?.() === 0;
/** What the writer gives what it creates: group adm, else root's group. */
const ownerGid = lookupGid('adm') ?? 0;

async function refusal(promise: Promise<unknown>): Promise<RefusedPathError> {
  const error = await promise.then(() => null, (e: unknown) => e);
  expect(error).toBeInstanceOf(RefusedPathError);
  return error as RefusedPathError;
}

describe('ensureLogDir()', () => {
  it('creates a missing log directory with mode 0750', async () => {
    const target = scratch();
    await ensureLogDir(target);
    const st = lstatSync(target.logDir);
    expect(st.isDirectory()).toBe(true);
    expect(st.mode & 0o7777).toBe(logDirMode);
    expect(logDirMode).toBe(0o750);
  });

  it.runIf(isRoot)('gives a directory it creates to root and group adm', async () => {
    const target = scratch();
    await ensureLogDir(target);
    const st = statSync(target.logDir);
    expect({ uid: st.uid, gid: st.gid }).toEqual({ uid: 0, gid: ownerGid });
  });

  it.runIf(isRoot)('leaves the owner and mode of an existing directory alone', async () => {
    const target = scratch();
    mkdirSync(target.logDir, { mode: 0o700 });
    chownSync(target.logDir, 0, 0);
    await ensureLogDir(target);
    const st = statSync(target.logDir);
    expect({ mode: st.mode & 0o7777, uid: st.uid, gid: st.gid }).toEqual({ mode: 0o700, uid: 0, gid: 0 });
  });

  it('creates the log directory 0750 whatever the umask of the login', async () => {
    const target = scratch();
    const old = process.umask(0o077);
    try {
      await ensureLogDir(target);
    } finally {
      process.umask(old);
    }
    expect(statSync(target.logDir).mode & 0o7777).toBe(0o750);
  });

  it('refuses a symbolic link at the log directory path, even to a directory', async () => {
    const target = scratch();
    mkdirSync(`${dir}/real`);
    symlinkSync(`${dir}/real`, target.logDir);
    const error = await refusal(ensureLogDir(target));
    expect(error.path).toBe(target.logDir);
    expect(error.message).toBe(`Refusing to write through ${target.logDir}: a symbolic link`);
  });

  it('refuses a regular file at the log directory path and leaves it as it was', async () => {
    const target = scratch();
    writeFileSync(target.logDir, 'a file\n');
    const error = await refusal(ensureLogDir(target));
    expect(error.path).toBe(target.logDir);
    expect(error.message).toBe(`Refusing to write through ${target.logDir}: a regular file`);
    expect(readFileSync(target.logDir, 'utf8')).toBe('a file\n');
  });

  it('fails naming the cause when the parent directory is missing', async () => {
    const target = scratch();
    const deeper = { ...target, logDir: `${dir}/missing/log`, logFile: `${dir}/missing/log/sessions.jsonl` };
    await expect(ensureLogDir(deeper)).rejects.toMatchObject({ code: 'ENOENT' });
    expect(existsSync(`${dir}/missing`)).toBe(false);
  });
});

describe('openLog()', () => {
  it('creates a missing log with mode 0640 and returns a descriptor that appends, with its stat', async () => {
    const target = scratch();
    await ensureLogDir(target);
    const { fd, st } = await openLog(target);
    try {
      expect(st.isFile()).toBe(true);
      expect(st.size).toBe(0);
      expect(st.ino).toBe(statSync(target.logFile).ino);
      writeSync(fd, 'one\n');
    } finally {
      closeSync(fd);
    }
    expect(statSync(target.logFile).mode & 0o7777).toBe(logFileMode);
    expect(logFileMode).toBe(0o640);
    const again = await openLog(target);
    try {
      expect(again.st.size).toBe(4);
      writeSync(again.fd, 'two\n', 0); // O_APPEND: the position is ignored
    } finally {
      closeSync(again.fd);
    }
    expect(readFileSync(target.logFile, 'utf8')).toBe('one\ntwo\n');
  });

  it.runIf(isRoot)('gives a log it creates to root and group adm', async () => {
    const target = scratch();
    await ensureLogDir(target);
    closeSync((await openLog(target)).fd);
    const st = statSync(target.logFile);
    expect({ uid: st.uid, gid: st.gid }).toEqual({ uid: 0, gid: ownerGid });
  });

  it('opens an existing log without changing its mode, and its stat says how big it is', async () => {
    const target = scratch();
    mkdirSync(target.logDir);
    writeFileSync(target.logFile, 'twelve bytes', { mode: 0o600 });
    const { fd, st } = await openLog(target);
    closeSync(fd);
    expect(st.size).toBe(12);
    expect(statSync(target.logFile).mode & 0o7777).toBe(0o600);
  });

  it('refuses a symbolic link at the log path and does not touch its target', async () => {
    const target = scratch();
    mkdirSync(target.logDir);
    writeFileSync(`${dir}/target`, 'kept\n');
    symlinkSync(`${dir}/target`, target.logFile);
    const error = await refusal(openLog(target));
    expect(error.path).toBe(target.logFile);
    expect(error.message).toBe(`Refusing to write through ${target.logFile}: a symbolic link`);
    expect(readFileSync(`${dir}/target`, 'utf8')).toBe('kept\n');
  });

  it('refuses a dangling symbolic link rather than creating its target', async () => {
    const target = scratch();
    mkdirSync(target.logDir);
    symlinkSync(`${dir}/created-through-link`, target.logFile);
    await refusal(openLog(target));
    expect(existsSync(`${dir}/created-through-link`)).toBe(false);
  });

  it('refuses a FIFO at the log path without blocking on it (no reader, no writer)', async () => {
    const target = scratch();
    mkdirSync(target.logDir);
    expect(spawnSync('mkfifo', [target.logFile]).status).toBe(0);
    const error = await refusal(openLog(target));
    expect(error.path).toBe(target.logFile);
    expect(error.message).toMatch(new RegExp(`^Refusing to write through ${target.logFile}: a FIFO`));
    expect(lstatSync(target.logFile).isFIFO()).toBe(true);
  });

  it('refuses a directory at the log path', async () => {
    const target = scratch();
    mkdirSync(target.logFile, { recursive: true });
    const error = await refusal(openLog(target));
    expect(error.message).toBe(`Refusing to write through ${target.logFile}: a directory`);
    expect(readdirSync(target.logFile)).toEqual([]);
  });

  it('closes what it opened before refusing it', async () => {
    const target = scratch();
    mkdirSync(target.logDir);
    expect(spawnSync('mkfifo', [target.logFile]).status).toBe(0);
    await refusal(openLog(target));
    const open = readdirSync('/proc/self/fd').map((fd) => {
      try {
        return readlinkSync(`/proc/self/fd/${fd}`);
      } catch {
        return '';
      }
    });
    expect(open).not.toContain(target.logFile);
  });
});
