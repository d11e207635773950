// logsphere-hook as a real subprocess with pam_exec's environment: correlation, modes, torn
// lines, hostile values, and every way the log path can refuse or fail.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import {
  chownSync, closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, statSync, symlinkSync, unlinkSync, utimesSync, writeFileSync,
} from 'node:fs';
import { parseLines } from '../../src/input/parse-lines.ts';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { readLines, readRecords } from '../helpers/log.ts';
import { hookBundle, nodePath, requireBuilt } from '../helpers/paths.ts';
import { pamEnv, runHookProcess, scratch, writeConfigFile } from '../helpers/hook.ts';
import { missing } from '../helpers/require.ts';
import { lookupGid } from '../../src/sys/accounts.ts';

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
    const open = runHookProcess(pamEnv('open_session', { PAM_TTY: '/dev/pts/11', PAM_RUSER: 'bob', XDG_SESSION_ID: 'c7' }), s.hook());
    const close = runHookProcess(pamEnv('close_session', { PAM_TTY: '/dev/pts/11', PAM_RUSER: 'bob', XDG_SESSION_ID: 'c7' }), s.hook());
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
    runHookProcess(pamEnv('close_session', { PAM_TTY: 'pts/12' }), s.hook());
    const [c] = readRecords(s.logFile);
    expect(c).toMatchObject({ event: 'session_close', session_id: null });
    expect(c).not.toHaveProperty('login_time');
  });

  it('records boot with kernel and boot_time, and shutdown', () => {
    runHookProcess({}, s.hook(['boot']));
    runHookProcess({}, s.hook(['shutdown']));
    const [boot, shutdown] = readRecords(s.logFile);
    expect(boot).toMatchObject({ event: 'boot', source: 'systemd', kernel: readFileSync('/proc/sys/kernel/osrelease', 'utf8').trim() });
    expect(boot?.['boot_id']).toBe(readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim());
    expect(Date.parse(String(boot?.['boot_time']))).toBeLessThan(Date.now());
    expect(shutdown).toMatchObject({ event: 'shutdown' });
  });

  it('skips ignored services and PAM types other than sessions, and exits 0', () => {
    expect(runHookProcess(pamEnv('open_session', { PAM_SERVICE: 'cron' }), s.hook()).status).toBe(0);
    expect(runHookProcess(pamEnv('auth'), s.hook()).status).toBe(0);
    expect(existsSync(s.logFile)).toBe(false);
  });

  it('exits 0 and names the variable when the configuration is bad', () => {
    const r = runHookProcess(pamEnv('open_session'), s.hook([], { LOGSPHERE_FSYNC: 'sometimes' }));
    expect(r.status).toBe(0);
    expect(r.stderr).toContain('LOGSPHERE_FSYNC must be boolean');
    expect(existsSync(s.logFile)).toBe(false);
  });

  it('starts on a fresh line after a torn last line', () => {
    runHookProcess(pamEnv('open_session', { PAM_TTY: 'pts/13' }), s.hook());
    const first = readFileSync(s.logFile, 'utf8');
    writeFileSync(s.logFile, `${first}{"schema":"logsphere/1","event_id":"0192`, { flag: 'w' });
    // Left by a crash some time ago: nothing is writing the file now.
    utimesSync(s.logFile, new Date(Date.now() - 60_000), new Date(Date.now() - 60_000));
    runHookProcess(pamEnv('close_session', { PAM_TTY: 'pts/13' }), s.hook());
    const lines = readLines(s.logFile);
    expect(lines).toHaveLength(3);
    expect(lines[1]).toBe('{"schema":"logsphere/1","event_id":"0192');
    const records = [lines[0], lines[2]].map((l) => JSON.parse(String(l)));
    expect(records.map((r) => r.event)).toEqual(['session_open', 'session_close']);
    expect(records[1].session_id).toBe(records[0].session_id);
  });

  it('keeps its record whole when a line that just changed turns out torn', () => {
    runHookProcess(pamEnv('open_session', { PAM_TTY: 'pts/14' }), s.hook());
    const first = readFileSync(s.logFile, 'utf8');
    // Torn a moment ago: it could have been another hook's append in progress, so the hook does
    // not add a newline first; it finds its record glued to the fragment and writes it again.
    writeFileSync(s.logFile, `${first}{"schema":"logsphere/1","event_id":"0193`, { flag: 'w' });
    // "A moment ago" is under a second before the hook looks: dated a minute ahead, the file is
    // still that recent however slowly the hook starts on a loaded machine.
    const ahead = new Date(Date.now() + 60_000);
    utimesSync(s.logFile, ahead, ahead);
    runHookProcess(pamEnv('close_session', { PAM_TTY: 'pts/14' }), s.hook());
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
    for (const fields of hostile) runHookProcess(pamEnv('auth', fields), s.hook(['auth-failure']));
    // Invalid UTF-8 cannot be built as a JS string: pass the raw bytes through env(1).
    execFileSync('/bin/bash', ['-c', `exec /usr/bin/env -i PAM_TYPE=auth PAM_SERVICE=logsphere-test PAM_USER=$'\\xff\\xfe\\xc3bad' ${nodePath} ${hookBundle} ${s.hook(['auth-failure']).join(' ')}`]);
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
    const r = runHookProcess(pamEnv('open_session', { PAM_TTY: 'pts/15' }), s.hook());
    expect(r.status).toBe(0);
    expect(r.stderr).toContain('a symbolic link');
    expect(readFileSync(`${s.dir}/target`, 'utf8')).toBe('untouched\n');
    expect(spooled(s.runDir)).toHaveLength(1);
  });

  it('refuses a symlinked log directory', () => {
    mkdirSync(`${s.dir}/elsewhere`);
    symlinkSync(`${s.dir}/elsewhere`, s.logDir);
    const r = runHookProcess(pamEnv('open_session', { PAM_TTY: 'pts/16' }), s.hook());
    expect(r.status).toBe(0);
    expect(readdirSync(`${s.dir}/elsewhere`)).toEqual([]);
    expect(spooled(s.runDir)).toHaveLength(1);
  });

  it('does not block on a FIFO at the log path, with or without a reader', async () => {
    mkdirSync(s.logDir, { mode: 0o750 });
    execFileSync('mkfifo', [s.logFile]);
    const r = runHookProcess(pamEnv('open_session', { PAM_TTY: 'pts/17' }), s.hook());
    expect(r.status).toBe(0);
    expect(r.stderr).toContain('FIFO');
    // With a reader attached the open succeeds; the type check must still refuse it.
    const reader = spawn('/bin/cat', [s.logFile], { stdio: ['ignore', 'pipe', 'ignore'] });
    let read = '';
    reader.stdout.on('data', (d: Buffer) => (read += d.toString()));
    const fd = openSync(s.logFile, 'w'); // opens once cat has the FIFO open for reading
    const r2 = runHookProcess(pamEnv('open_session', { PAM_TTY: 'pts/18' }), s.hook());
    closeSync(fd);
    await new Promise((resolve) => reader.on('close', resolve));
    expect(r2.status).toBe(0);
    expect(r2.stderr).toContain('a FIFO');
    expect(read).toBe('');
    expect(spooled(s.runDir)).toHaveLength(2);
  });
});

describe('logsphere-hook configuration', () => {
  it('takes no configuration from its environment (the PAM environment users write to)', () => {
    // What a ~/.pam_environment can put into the PAM environment at close_session.
    writeConfigFile(`${s.dir}/user.env`, { LOGSPHERE_LOG_DIR: `${s.dir}/user-log-from-file` });
    const userEnv = {
      LOGSPHERE_LOG_DIR: `${s.dir}/user-log`, LOGSPHERE_RUN_DIR: `${s.dir}/user-run`, LOGSPHERE_STATE_DIR: `${s.dir}/user-state`,
      LOGSPHERE_CONFIG: `${s.dir}/user.env`, LOGSPHERE_IGNORE_SERVICES: 'logsphere-test', LOGSPHERE_HOSTNAME: 'forged',
      LOGSPHERE_MAX_BYTES: '4096',
    };
    const open = runHookProcess({ ...pamEnv('open_session', { PAM_TTY: 'pts/30' }), ...userEnv }, s.hook());
    const close = runHookProcess({ ...pamEnv('close_session', { PAM_TTY: 'pts/30' }), ...userEnv }, s.hook());
    expect(open.stderr + close.stderr).toBe('');
    const records = readRecords(s.logFile);
    expect(records.map((r) => r.event)).toEqual(['session_open', 'session_close']);
    expect(records[1]?.['session_id']).toBe(records[0]?.['session_id']);
    expect(records[0]?.['host']).not.toBe('forged');
    for (const name of ['user-log', 'user-run', 'user-state', 'user-log-from-file']) expect(existsSync(`${s.dir}/${name}`), name).toBe(false);
  });

  it('reads the default root-owned file only, not LOGSPHERE_CONFIG, when no --config is given', () => {
    writeConfigFile(`${s.dir}/user.env`, { LOGSPHERE_LOG_DIR: `${s.dir}/user-log` });
    // IGNORE_SERVICES in the environment would skip it; the record is attempted where the
    // default file (or the defaults) say, never in the user's directory.
    const r = runHookProcess({ ...pamEnv('open_session', { PAM_SERVICE: 'cron' }), LOGSPHERE_CONFIG: `${s.dir}/user.env`, LOGSPHERE_IGNORE_SERVICES: '' });
    expect(r.status).toBe(0);
    expect(existsSync(`${s.dir}/user-log`)).toBe(false);
  });

  it.each([
    ['a symbolic link', (path: string) => { writeConfigFile(`${path}.real`, {}); symlinkSync(`${path}.real`, path); }, 'a symbolic link'],
    ['a FIFO', (path: string) => execFileSync('mkfifo', [path]), 'a FIFO'],
    ['a directory', (path: string) => mkdirSync(path), 'a directory'],
    ['group-writable', (path: string) => writeConfigFile(path, {}, 0o664), 'writable by group or others (mode 0664)'],
    ['world-writable', (path: string) => writeConfigFile(path, {}, 0o646), 'writable by group or others (mode 0646)'],
    ['larger than 64 KiB', (path: string) => writeFileSync(path, `# ${'x'.repeat(70_000)}\n`, { mode: 0o644 }), 'larger than 65536 bytes'],
    ['missing', () => undefined, 'it does not exist'],
  ])('refuses a --config file that is %s, at once, and records nothing', (_what, make, why) => {
    const path = `${s.dir}/refused.env`;
    make(path);
    const r = runHookProcess(pamEnv('open_session', { PAM_TTY: 'pts/31' }), [`--config=${path}`]);
    expect(r.status).toBe(0);
    expect(r.signal).toBeNull();
    expect(r.stderr).toContain(`Refusing to read configuration from ${path}: ${why}`);
    expect(existsSync(s.logDir)).toBe(false);
  });

  it.skipIf(missing({ root: true }))('refuses a --config file not owned by root', () => {
    const [arg] = s.hook();
    const path = String(arg).slice('--config='.length);
    chownSync(path, 65534, 65534);
    const r = runHookProcess(pamEnv('open_session', { PAM_TTY: 'pts/32' }), [`--config=${path}`]);
    expect(r.stderr).toContain(`Refusing to read configuration from ${path}: owned by uid 65534, not root`);
    expect(existsSync(s.logDir)).toBe(false);
  });

  it('refuses a relative --config path', () => {
    const r = runHookProcess(pamEnv('open_session', { PAM_TTY: 'pts/33' }), ['--config=hook.env']);
    expect(r.status).toBe(0);
    expect(r.stderr).toContain('--config needs an absolute path');
  });

  it('creates the log directory with group adm through its descriptor', () => {
    runHookProcess(pamEnv('open_session', { PAM_TTY: 'pts/34' }), s.hook());
    const st = statSync(s.logDir);
    expect(st.mode & 0o7777).toBe(0o750);
    if (process.getuid?.() === 0) expect(st.gid).toBe(lookupGid('adm') ?? 0);
  });

  it('appends spooled records, re-encoded, and moves anything else aside without appending it', () => {
    // A record kept in the spool earlier (a symlinked log path refuses the write)...
    mkdirSync(s.logDir, { mode: 0o750 });
    symlinkSync(`${s.dir}/nowhere`, s.logFile);
    runHookProcess(pamEnv('open_session', { PAM_TTY: 'pts/35' }), s.hook());
    expect(spooled(s.runDir)).toHaveLength(1);
    // ...and entries that are not records: raw bytes, two records in one entry, a link.
    const spool = `${s.runDir}/spool`;
    const [kept] = spooled(s.runDir);
    const valid = readFileSync(`${spool}/${kept}`, 'utf8');
    writeFileSync(`${spool}/00000000000000001-raw.jsonl`, 'root ALL=(ALL) NOPASSWD: ALL\n\u001b[2J\n');
    writeFileSync(`${spool}/00000000000000002-two.jsonl`, valid + valid);
    writeFileSync(`${spool}/00000000000000003-escape.jsonl`, valid.replace('"pam"', '"pam\u001b[2J"'));
    symlinkSync('/etc/shadow', `${spool}/00000000000000004-link.jsonl`);
    unlinkSync(s.logFile);
    const r = runHookProcess(pamEnv('close_session', { PAM_TTY: 'pts/35' }), s.hook());
    expect(r.status).toBe(0);
    expect(r.stderr).toContain(`spooled entries that are not logsphere/1 records: 4 moved to ${s.runDir}/spool/rejected`);
    const records = readRecords(s.logFile);
    expect(records.map((x) => x.event)).toEqual(['session_open', 'session_close']);
    expect(records[1]?.['session_id']).toBe(records[0]?.['session_id']);
    expect(readFileSync(s.logFile, 'utf8')).not.toMatch(/NOPASSWD|\u001b|root:/);
    expect(readdirSync(`${spool}/rejected`).sort()).toEqual([
      '00000000000000001-raw.jsonl', '00000000000000002-two.jsonl', '00000000000000003-escape.jsonl', '00000000000000004-link.jsonl',
    ]);
    expect(spooled(s.runDir)).toEqual(['rejected']);
  });
});

describe('logsphere-hook when the log directory cannot be written', () => {
  const lacking = missing({ root: true, commands: ['/usr/bin/mount', '/usr/bin/umount'] });

  it.skipIf(lacking)('spools on a read-only filesystem, then writes the spooled record before its own', () => {
    mkdirSync(s.logDir);
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m,mode=0750', 'logsphere-ro', s.logDir]);
    mounts.push(s.logDir);
    runHookProcess(pamEnv('open_session', { PAM_TTY: 'pts/19' }), s.hook());
    execFileSync('mount', ['-o', 'remount,ro', s.logDir]);
    const r = runHookProcess(pamEnv('close_session', { PAM_TTY: 'pts/19' }), s.hook());
    expect(r.status).toBe(0);
    expect(r.stderr).toContain('EROFS');
    expect(spooled(s.runDir)).toHaveLength(1);
    execFileSync('mount', ['-o', 'remount,rw', s.logDir]);
    runHookProcess(pamEnv('auth', { PAM_TTY: 'pts/19' }), s.hook(['auth-failure']));
    expect(readRecords(s.logFile).map((x) => x.event)).toEqual(['session_open', 'session_close', 'auth_failure']);
    expect(spooled(s.runDir)).toEqual([]);
  });

  it.skipIf(lacking)('spools on a full filesystem, then drains in order once there is room', () => {
    mkdirSync(s.logDir);
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64k,mode=0750', 'logsphere-full', s.logDir]);
    mounts.push(s.logDir);
    spawnSync('/bin/dd', ['if=/dev/zero', `of=${s.logDir}/filler`, 'bs=4k'], { stdio: 'ignore' });
    const r1 = runHookProcess(pamEnv('open_session', { PAM_TTY: 'pts/20' }), s.hook());
    const r2 = runHookProcess(pamEnv('close_session', { PAM_TTY: 'pts/20' }), s.hook());
    expect([r1.status, r2.status]).toEqual([0, 0]);
    expect(r1.stderr).toContain('ENOSPC');
    expect(spooled(s.runDir)).toHaveLength(2);
    execFileSync('rm', [`${s.logDir}/filler`]);
    runHookProcess({}, s.hook(['boot']));
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
        const r = runHookProcess(pamEnv('open_session', { PAM_TTY: 'pts/21' }), s.hook([], { LOGSPHERE_LOG_DIR: `${hung}/log` }));
        // process.exit() would wait for the stuck I/O thread, so the hook ends itself by SIGKILL.
        expect(r.signal).toBe('SIGKILL');
        expect(r.stderr).toContain('giving up');
        expect(spooled(s.runDir)).toHaveLength(1);
      } finally {
        closeSync(fuse); // aborts the connection: the mount answers ENOTCONN from now on
      }
      runHookProcess({}, s.hook(['shutdown']));
      expect(readRecords(s.logFile).map((x) => x.event)).toEqual(['session_open', 'shutdown']);
    },
  );
});
