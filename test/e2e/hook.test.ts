// logsphere-hook as a real subprocess with pam_exec's environment: correlation, modes, torn
// lines, hostile values, and every way the log path can refuse or fail.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import {
  closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, statSync, symlinkSync, utimesSync, writeFileSync,
} from 'node:fs';
import { parseLines } from '../../src/input/parse-lines.ts';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { readLines, readRecords } from '../helpers/log.ts';
import { hookBundle, nodePath, requireBuilt } from '../helpers/paths.ts';
import { pamEnv, runHook, scratch } from '../helpers/hook.ts';
import { missing } from '../helpers/require.ts';
import { lookupGid } from '../../src/sys/proc.ts';

beforeAll(requireBuilt);

let s = scratch();
const mounts: string[] = [];
afterEach(() => {
  for (const m of mounts.splice(0)) spawnSync('umount', ['-l', m]);
  s.cleanup();
  s = scratch();
});
afterAll(() => s.cleanup()); // the one made after the last test

function spooled(runDir: string): string[] {
  const dir = `${runDir}/spool`;
  return existsSync(dir) ? readdirSync(dir).filter((n) => !n.startsWith('.')) : [];
}

describe('logsphere-hook', () => {
  it('writes an open and a close that share a session id, with the modes of DESIGN.md', () => {
    const open = runHook({ ...s.env(), ...pamEnv('open_session', { PAM_TTY: '/dev/pts/11', PAM_RUSER: 'bob', XDG_SESSION_ID: 'c7' }) });
    const close = runHook({ ...s.env(), ...pamEnv('close_session', { PAM_TTY: '/dev/pts/11', PAM_RUSER: 'bob', XDG_SESSION_ID: 'c7' }) });
    expect([open.status, close.status]).toEqual([0, 0]);
    expect(open.stderr + close.stderr).toBe('');
    const [o, c] = readRecords(s.logFile);
    expect(o).toMatchObject({
      event: 'session_open', source: 'pam', user: 'root', uid: 0, tty: 'pts/11', rhost: '198.51.100.4',
      ruser: 'bob', service: 'logsphere-test', pid: process.pid, xdg_session_id: 'c7',
    });
    expect(c).toMatchObject({ event: 'session_close', session_id: o?.['session_id'], login_time: o?.['ts'] });
    expect(c?.['duration_s']).toBeGreaterThan(0);
    expect(readdirSync(`${s.runDir}/sessions`)).toEqual([]);
    expect(statSync(s.logDir).mode & 0o7777).toBe(0o750);
    expect(statSync(s.logFile).mode & 0o7777).toBe(0o640);
    if (process.getuid?.() === 0) expect(statSync(s.logFile).gid).toBe(lookupGid('adm') ?? 0);
  });

  it('writes a close without an open with a null session id', () => {
    runHook({ ...s.env(), ...pamEnv('close_session', { PAM_TTY: 'pts/12' }) });
    const [c] = readRecords(s.logFile);
    expect(c).toMatchObject({ event: 'session_close', session_id: null });
    expect(c).not.toHaveProperty('login_time');
  });

  it('records boot with kernel and boot_time, and shutdown', () => {
    runHook(s.env(), ['boot']);
    runHook(s.env(), ['shutdown']);
    const [boot, shutdown] = readRecords(s.logFile);
    expect(boot).toMatchObject({ event: 'boot', source: 'systemd', kernel: readFileSync('/proc/sys/kernel/osrelease', 'utf8').trim() });
    expect(boot?.['boot_id']).toBe(readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim());
    expect(Date.parse(String(boot?.['boot_time']))).toBeLessThan(Date.now());
    expect(shutdown).toMatchObject({ event: 'shutdown' });
  });

  it('skips ignored services and PAM types other than sessions, and exits 0', () => {
    expect(runHook({ ...s.env(), ...pamEnv('open_session', { PAM_SERVICE: 'cron' }) }).status).toBe(0);
    expect(runHook({ ...s.env(), ...pamEnv('auth') }).status).toBe(0);
    expect(existsSync(s.logFile)).toBe(false);
  });

  it('exits 0 and names the variable when the configuration is bad', () => {
    const r = runHook({ ...s.env({ LOGSPHERE_FSYNC: 'sometimes' }), ...pamEnv('open_session') });
    expect(r.status).toBe(0);
    expect(r.stderr).toContain('LOGSPHERE_FSYNC must be boolean');
    expect(existsSync(s.logFile)).toBe(false);
  });

  it('starts on a fresh line after a torn last line', () => {
    runHook({ ...s.env(), ...pamEnv('open_session', { PAM_TTY: 'pts/13' }) });
    const first = readFileSync(s.logFile, 'utf8');
    writeFileSync(s.logFile, `${first}{"schema":"logsphere/1","event_id":"0192`, { flag: 'w' });
    // Left by a crash some time ago: nothing is writing the file now.
    utimesSync(s.logFile, new Date(Date.now() - 60_000), new Date(Date.now() - 60_000));
    runHook({ ...s.env(), ...pamEnv('close_session', { PAM_TTY: 'pts/13' }) });
    const lines = readLines(s.logFile);
    expect(lines).toHaveLength(3);
    expect(lines[1]).toBe('{"schema":"logsphere/1","event_id":"0192');
    const records = [lines[0], lines[2]].map((l) => JSON.parse(String(l)));
    expect(records.map((r) => r.event)).toEqual(['session_open', 'session_close']);
    expect(records[1].session_id).toBe(records[0].session_id);
  });

  it('keeps its record whole when a line that just changed turns out torn', () => {
    runHook({ ...s.env(), ...pamEnv('open_session', { PAM_TTY: 'pts/14' }) });
    const first = readFileSync(s.logFile, 'utf8');
    // Torn a moment ago: it could have been another hook's append in progress, so the hook does
    // not add a newline first; it finds its record glued to the fragment and writes it again.
    writeFileSync(s.logFile, `${first}{"schema":"logsphere/1","event_id":"0193`, { flag: 'w' });
    runHook({ ...s.env(), ...pamEnv('close_session', { PAM_TTY: 'pts/14' }) });
    const lines = readLines(s.logFile);
    expect(lines).toHaveLength(3);
    expect(lines[1]?.startsWith('{"schema":"logsphere/1","event_id":"0193{"schema"')).toBe(true);
    const parsed = parseLines(readFileSync(s.logFile, 'utf8'));
    expect(parsed.malformed).toBe(1);
    expect(parsed.records.map((r) => r.event)).toEqual(['session_open', 'session_close']);
    expect(lines[2]).toBe(lines[1]?.slice('{"schema":"logsphere/1","event_id":"0193'.length));
  });

  it('writes hostile values as one valid, capped line each', () => {
    const hostile = [
      { PAM_USER: 'eve\nforged {"event":"session_open"}', PAM_RHOST: '\u001b[2J\u001b]0;owned\u0007' },
      { PAM_USER: '"quoted" \\ back\\slash', PAM_TTY: 'pts/\r14' },
      // The largest value execve(2) passes in one variable is 128 KiB (MAX_ARG_STRLEN).
      { PAM_USER: 'u'.repeat(131_000), PAM_RHOST: 'r'.repeat(131_000) },
    ];
    for (const fields of hostile) runHook({ ...s.env(), ...pamEnv('auth', fields) }, ['auth-failure']);
    // Invalid UTF-8 cannot be built as a JS string: pass the raw bytes through env(1).
    execFileSync('/bin/bash', ['-c', `exec /usr/bin/env -i ${Object.entries(s.env()).map(([k, v]) => `${k}=${v}`).join(' ')} PAM_TYPE=auth PAM_SERVICE=logsphere-test PAM_USER=$'\\xff\\xfe\\xc3bad' ${nodePath} ${hookBundle} auth-failure`]);
    const records = readRecords(s.logFile);
    expect(records).toHaveLength(4);
    expect(readFileSync(s.logFile, 'utf8').split('\n')).toHaveLength(5);
    expect(records[0]?.['user']).toBe('eve\nforged {"event":"session_open"}');
    expect(records[0]?.['rhost']).toBe('\u001b[2J\u001b]0;owned\u0007');
    expect(records[1]?.['user']).toBe('"quoted" \\ back\\slash');
    expect(records[2]?.['user']).toBe('u'.repeat(256));
    expect(records[2]?.['rhost']).toBe('r'.repeat(256));
    expect(records[2]?.['truncated']).toEqual(['user', 'rhost']);
    expect(records[3]?.['user']).toBe('\ufffd\ufffd\ufffdbad');
    expect(readFileSync(s.logFile, 'utf8')).not.toMatch(/[\u0000-\u0009\u000b-\u001f]/);
  });

  it('writes nothing through a symlink at the log path and keeps the record in the spool', () => {
    mkdirSync(s.logDir, { mode: 0o750 });
    writeFileSync(`${s.dir}/target`, 'untouched\n');
    symlinkSync(`${s.dir}/target`, s.logFile);
    const r = runHook({ ...s.env(), ...pamEnv('open_session', { PAM_TTY: 'pts/15' }) });
    expect(r.status).toBe(0);
    expect(r.stderr).toContain('a symbolic link');
    expect(readFileSync(`${s.dir}/target`, 'utf8')).toBe('untouched\n');
    expect(spooled(s.runDir)).toHaveLength(1);
  });

  it('refuses a symlinked log directory', () => {
    mkdirSync(`${s.dir}/elsewhere`);
    symlinkSync(`${s.dir}/elsewhere`, s.logDir);
    const r = runHook({ ...s.env(), ...pamEnv('open_session', { PAM_TTY: 'pts/16' }) });
    expect(r.status).toBe(0);
    expect(readdirSync(`${s.dir}/elsewhere`)).toEqual([]);
    expect(spooled(s.runDir)).toHaveLength(1);
  });

  it('does not block on a FIFO at the log path, with or without a reader', async () => {
    mkdirSync(s.logDir, { mode: 0o750 });
    execFileSync('mkfifo', [s.logFile]);
    const r = runHook({ ...s.env(), ...pamEnv('open_session', { PAM_TTY: 'pts/17' }) });
    expect(r.status).toBe(0);
    expect(r.stderr).toContain('FIFO');
    // With a reader attached the open succeeds; the type check must still refuse it.
    const reader = spawn('/bin/cat', [s.logFile], { stdio: ['ignore', 'pipe', 'ignore'] });
    let read = '';
    reader.stdout.on('data', (d: Buffer) => (read += d.toString()));
    const fd = openSync(s.logFile, 'w'); // opens once cat has the FIFO open for reading
    const r2 = runHook({ ...s.env(), ...pamEnv('open_session', { PAM_TTY: 'pts/18' }) });
    closeSync(fd);
    await new Promise((resolve) => reader.on('close', resolve));
    expect(r2.status).toBe(0);
    expect(r2.stderr).toContain('a FIFO');
    expect(read).toBe('');
    expect(spooled(s.runDir)).toHaveLength(2);
  });
});

describe('logsphere-hook when the log directory cannot be written', () => {
  const lacking = missing({ root: true, commands: ['/usr/bin/mount', '/usr/bin/umount'] });

  it.skipIf(lacking)('spools on a read-only filesystem, then writes the spooled record before its own', () => {
    mkdirSync(s.logDir);
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m,mode=0750', 'logsphere-ro', s.logDir]);
    mounts.push(s.logDir);
    runHook({ ...s.env(), ...pamEnv('open_session', { PAM_TTY: 'pts/19' }) });
    execFileSync('mount', ['-o', 'remount,ro', s.logDir]);
    const r = runHook({ ...s.env(), ...pamEnv('close_session', { PAM_TTY: 'pts/19' }) });
    expect(r.status).toBe(0);
    expect(r.stderr).toContain('EROFS');
    expect(spooled(s.runDir)).toHaveLength(1);
    execFileSync('mount', ['-o', 'remount,rw', s.logDir]);
    runHook({ ...s.env(), ...pamEnv('auth', { PAM_TTY: 'pts/19' }) }, ['auth-failure']);
    expect(readRecords(s.logFile).map((x) => x.event)).toEqual(['session_open', 'session_close', 'auth_failure']);
    expect(spooled(s.runDir)).toEqual([]);
  });

  it.skipIf(lacking)('spools on a full filesystem, then drains in order once there is room', () => {
    mkdirSync(s.logDir);
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64k,mode=0750', 'logsphere-full', s.logDir]);
    mounts.push(s.logDir);
    spawnSync('/bin/dd', ['if=/dev/zero', `of=${s.logDir}/filler`, 'bs=4k'], { stdio: 'ignore' });
    const r1 = runHook({ ...s.env(), ...pamEnv('open_session', { PAM_TTY: 'pts/20' }) });
    const r2 = runHook({ ...s.env(), ...pamEnv('close_session', { PAM_TTY: 'pts/20' }) });
    expect([r1.status, r2.status]).toEqual([0, 0]);
    expect(r1.stderr).toContain('ENOSPC');
    expect(spooled(s.runDir)).toHaveLength(2);
    execFileSync('rm', [`${s.logDir}/filler`]);
    runHook(s.env(), ['boot']);
    const records = readRecords(s.logFile);
    expect(records.map((x) => x.event)).toEqual(['session_open', 'session_close', 'boot']);
    expect(records[1]?.['session_id']).toBe(records[0]?.['session_id']);
    expect(spooled(s.runDir)).toEqual([]);
  });

  it.skipIf(missing({ root: true, commands: ['/usr/bin/mount', '/dev/fuse'] }))(
    'gives up on a filesystem that never answers, keeping the record in the spool',
    () => {
      // A FUSE mount whose server never reads /dev/fuse: every call below it waits forever.
      const hung = `${s.dir}/hung`;
      mkdirSync(hung);
      const fuse = openSync('/dev/fuse', 'r+');
      try {
        execFileSync('mount', ['-t', 'fuse', '-o', 'fd=3,rootmode=40000,user_id=0,group_id=0', 'logsphere-hung', hung], {
          stdio: ['ignore', 'pipe', 'pipe', fuse],
        });
        mounts.push(hung);
        const r = runHook({ ...s.env({ LOGSPHERE_LOG_DIR: `${hung}/log` }), ...pamEnv('open_session', { PAM_TTY: 'pts/21' }) });
        // process.exit() would wait for the stuck I/O thread, so the hook ends itself by SIGKILL.
        expect(r.signal).toBe('SIGKILL');
        expect(r.stderr).toContain('giving up');
        expect(spooled(s.runDir)).toHaveLength(1);
      } finally {
        closeSync(fuse); // aborts the connection: the mount answers ENOTCONN from now on
      }
      runHook(s.env(), ['shutdown']);
      expect(readRecords(s.logFile).map((x) => x.event)).toEqual(['session_open', 'shutdown']);
    },
  );
});
