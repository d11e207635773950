import { spawn, spawnSync } from 'node:child_process';
import { appendFileSync, chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { afterEach, describe, expect, it } from 'vitest';
import type { Config } from '../config/config.ts';
import { InputError } from '../input/inputs.ts';
import * as build from '../record/build.ts';
import { parseTimestamp } from '../record/time.ts';
import type { SessionOpenRecord } from '../record/types.ts';
import type { Session } from '../reconcile/types.ts';
import { openSessionsDirOf, saveOpenSession } from '../store/open-sessions.ts';
import { bootId, kernelHostname } from '../sys/host.ts';
import { auditSessionOf, processStartTicks } from '../sys/processes.ts';
import { currentSessions, type CurrentSession, type CurrentSessionsRequest } from './current-sessions.ts';
import { asNobody, isRoot } from '../../test/helpers/as-nobody.ts';

let dir = '';
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function scratchConfig(): Config {
  dir = mkdtempSync(`${tmpdir()}/ls-current-`);
  return {
    logDir: `${dir}/log`, logFile: `${dir}/log/sessions.jsonl`, runDir: `${dir}/run`, stateDir: `${dir}/state`,
    hostname: null, ignoreServices: [], fsync: false, maxBytes: 0, keepDays: 0, configPath: null,
    rulesPath: `${dir}/rules.json`, webhook: null, mail: null,
  };
}

const request = (changes: Partial<CurrentSessionsRequest> = {}): CurrentSessionsRequest => ({ inputs: [], user: null, host: null, includeGone: false, all: false, ...changes });

/** Whether a child may begin an audit session here, as pam_loginuid does (root, a kernel with audit, the capability). */
const auditable = spawnSync('/bin/sh', ['-c', 'echo 0 > /proc/self/loginuid && cat /proc/self/sessionid'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).stdout.trim() !== '' &&
  existsSync('/proc/self/sessionid');

/** The audit session a child began by setting its login uid (once it has). */
async function auditSessionOfChild(pid: number): Promise<number> {
  for (let i = 0; i < 500; i++) {
    const sid = auditSessionOf(pid);
    if (sid !== null && sid !== auditSessionOf(process.pid)) return sid;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`process ${pid} began no audit session`);
}

/** A process that has ended: its pid and start time no longer run on this host. */
function endedProcess(): { pid: number; pid_start: number } {
  const r = spawnSync('/bin/sh', ['-c', 'echo $$; cut -d" " -f22 /proc/$$/stat'], { encoding: 'utf8' });
  const [pid, start] = r.stdout.trim().split('\n').map(Number) as [number, number];
  return { pid, pid_start: start };
}

// This host in this boot (liveness is known here), and another host (it is not).
const here = { host: kernelHostname(), boot_id: bootId(), source: 'pam' } as const;
const elsewhere = { host: 'db2.example', boot_id: '3f1c2a4e-0000-4000-8000-00000000db02', source: 'pam' } as const;
const t0 = Date.UTC(2026, 10, 21, 8, 0, 0) * 1000;
const min = (n: number) => t0 + n * 60_000_000;
const running = { pid: process.pid, pid_start: processStartTicks(process.pid) ?? 0 };
const ended = endedProcess();
const login = (user: string, tty: string, proc: { pid: number; pid_start: number }): build.Login => ({
  user, uid: 1000, tty, rhost: '203.0.113.7', ruser: null, service: 'sshd', ...proc,
});

/** The session `current sessions` reports for an open record. */
function sessionOf(open: SessionOpenRecord, end: Session['end'] = null): CurrentSession {
  return {
    session_id: open.session_id, host: open.host, user: open.user, uid: open.uid, tty: open.tty, pty: null, rhost: open.rhost,
    service: open.service, kind: ['su', 'sudo'].includes(open.service) ? 'switch' : 'login', pid: open.pid, pid_start: open.pid_start,
    audit_session: open.audit_session ?? null, boot_id: open.boot_id, login_time: open.ts, login_at: parseTimestamp(open.ts) ?? 0,
    logout_time: null, duration_s: null, end,
  };
}

function corpus() {
  const alice = build.sessionOpen(here, login('alice', 'pts/1', running), min(0));
  const bob = build.sessionOpen(here, login('bob', 'pts/2', ended), min(1));
  const carol = build.sessionOpen(here, login('carol', 'pts/3', running), min(2));
  const carolOut = build.sessionClose(here, login('carol', 'pts/3', running), min(3), carol);
  const dave = build.sessionOpen(elsewhere, login('dave', 'pts/0', { pid: 4242, pid_start: 77 }), min(4));
  return { alice, bob, carol, carolOut, dave, lines: [alice, bob, carol, carolOut, dave].map(build.toLine).join('') };
}

describe('currentSessions() over --input files', () => {
  it('lists the sessions still open, here and on other hosts, in login order, with no warnings', () => {
    const config = scratchConfig();
    const c = corpus();
    writeFileSync(`${dir}/in.jsonl`, c.lines);
    expect(currentSessions(request({ inputs: [`${dir}/in.jsonl`] }), config, {})).toEqual({
      sessions: [sessionOf(c.alice), sessionOf(c.dave)],
      warnings: [],
      incomplete: false,
    });
  });

  it('adds sessions whose process no longer runs on this host as gone with includeGone', () => {
    const config = scratchConfig();
    const c = corpus();
    writeFileSync(`${dir}/in.jsonl`, c.lines);
    const { sessions } = currentSessions(request({ inputs: [`${dir}/in.jsonl`], includeGone: true }), config, {});
    expect(sessions).toEqual([sessionOf(c.alice), sessionOf(c.bob, 'gone'), sessionOf(c.dave)]);
  });

  it('keeps a session open on another host whatever runs here under its pid', () => {
    const config = scratchConfig();
    const other = build.sessionOpen(elsewhere, login('erin', 'pts/5', ended), min(0));
    writeFileSync(`${dir}/in.jsonl`, build.toLine(other));
    expect(currentSessions(request({ inputs: [`${dir}/in.jsonl`], includeGone: true }), config, {}).sessions).toEqual([sessionOf(other)]);
  });

  it('lists logins only, user switches (sudo, su, a configured service) too with all', () => {
    const config = { ...scratchConfig(), switchServices: ['sudo', 'su', 'doas'] };
    const sudo = build.sessionOpen(elsewhere, { ...login('root', 'pts/0', { pid: 4243, pid_start: 77 }), service: 'sudo' }, min(5));
    const doas = build.sessionOpen(elsewhere, { ...login('root', 'pts/0', { pid: 4244, pid_start: 77 }), service: 'doas' }, min(6));
    const c = corpus();
    writeFileSync(`${dir}/in.jsonl`, c.lines + [sudo, doas].map(build.toLine).join(''));
    const input = { inputs: [`${dir}/in.jsonl`] };
    expect(currentSessions(request(input), config, {}).sessions.map((s) => s.user)).toEqual(['alice', 'dave']);
    const all = currentSessions(request({ ...input, all: true }), config, {}).sessions;
    expect(all.map((s) => `${s.user}:${s.service}:${s.kind}`)).toEqual(['alice:sshd:login', 'dave:sshd:login', 'root:sudo:switch', 'root:doas:switch']);
  });

  it.skipIf(!auditable)('keeps a session whose PAM process ended while a process of its audit session runs, and ends it with the last', async () => {
    const config = scratchConfig();
    // The session's shell: a process of an audit session of its own, as pam_loginuid gives sshd's [priv].
    const shell = spawn('/bin/sh', ['-c', 'echo 0 > /proc/self/loginuid && exec sleep 60'], { stdio: 'ignore' });
    try {
      const sid = await auditSessionOfChild(shell.pid as number);
      const open = build.sessionOpen(here, { ...login('bob', 'ssh', ended), audit_session: sid }, min(0));
      const older = build.sessionOpen(here, login('carol', 'ssh', ended), min(1));
      writeFileSync(`${dir}/in.jsonl`, [open, older].map(build.toLine).join(''));
      const req = request({ inputs: [`${dir}/in.jsonl`], includeGone: true });
      expect(currentSessions(req, config, {}).sessions.map((s) => [s.user, s.end])).toEqual([['bob', null], ['carol', 'gone']]);
      shell.kill('SIGKILL');
      await new Promise((r) => shell.once('exit', r));
      expect(currentSessions(req, config, {}).sessions.map((s) => [s.user, s.end])).toEqual([['bob', 'gone'], ['carol', 'gone']]);
    } finally {
      shell.kill('SIGKILL');
    }
  });

  it.each([
    [{ user: 'alice' }, ['alice']],
    [{ user: 'bob' }, []],
    [{ user: 'bob', includeGone: true }, ['bob']],
    [{ host: 'db2.example' }, ['dave']],
    [{ host: 'db2.example', user: 'alice' }, []],
    [{ host: kernelHostname(), includeGone: true }, ['alice', 'bob']],
  ] as const)('filters by user and host: %j', (filter, users) => {
    const config = scratchConfig();
    writeFileSync(`${dir}/in.jsonl`, corpus().lines);
    const { sessions } = currentSessions(request({ inputs: [`${dir}/in.jsonl`], ...filter }), config, {});
    expect(sessions.map((s) => s.user)).toEqual(users);
  });

  it('reads several inputs as one, and warns about malformed lines and closes without an open', () => {
    const config = scratchConfig();
    const c = corpus();
    const stray = build.sessionClose(here, login('frank', 'pts/9', running), min(5), { session_id: '01a1ff38-0000-7000-8000-0000000000ff', ts: build.sessionOpen(here, login('frank', 'pts/9', running), min(4)).ts });
    writeFileSync(`${dir}/a.jsonl`, `${build.toLine(c.alice)}not json\n`);
    writeFileSync(`${dir}/b.jsonl`, build.toLine(c.dave) + build.toLine(stray));
    expect(currentSessions(request({ inputs: [`${dir}/a.jsonl`, `${dir}/b.jsonl`] }), config, {})).toEqual({
      sessions: [sessionOf(c.alice), sessionOf(c.dave)],
      warnings: [`skipped 1 malformed line in ${dir}/a.jsonl`, 'ignored 1 session_close record(s) without a session_open'],
      incomplete: false,
    });
  });

  it('fails naming an input it cannot read, without falling back to the run directory', () => {
    const config = scratchConfig();
    saveOpenSession(config.runDir, corpus().alice);
    expect(() => currentSessions(request({ inputs: [`${dir}/missing.jsonl`] }), config, {})).toThrow(
      new InputError(`${dir}/missing.jsonl`, 'ENOENT', 'no such file or directory'),
    );
  });
});

describe('currentSessions() over the log directory', () => {
  it('reads the log through the checkpoint and sees what was appended since', () => {
    const config = scratchConfig();
    const c = corpus();
    mkdirSync(config.logDir);
    writeFileSync(config.logFile, c.lines);
    expect(currentSessions(request(), config, {})).toEqual({ sessions: [sessionOf(c.alice), sessionOf(c.dave)], warnings: [], incomplete: false });
    expect(existsSync(`${config.stateDir}/sessions.checkpoint`)).toBe(true);
    appendFileSync(config.logFile, build.toLine(build.sessionClose(here, login('alice', 'pts/1', running), min(10), c.alice)));
    expect(currentSessions(request(), config, {})).toEqual({ sessions: [sessionOf(c.dave)], warnings: [], incomplete: false });
  });

  it('names the log file when the log directory is missing', () => {
    const config = scratchConfig();
    expect(() => currentSessions(request(), config, {})).toThrow(`Cannot read ${config.logFile}: no such file or directory`);
  });

  // Root reads everything: the unprivileged caller is played by nobody (as-nobody.ts).
  it.runIf(isRoot)('answers without a checkpoint where none can be kept, and says why once', () => {
    const config = { ...scratchConfig(), stateDir: `${dir}/missing/state` };
    chmodSync(dir, 0o755);
    const c = corpus();
    mkdirSync(config.logDir, { mode: 0o755 });
    writeFileSync(config.logFile, c.lines, { mode: 0o644 });
    // Root: its state directory cannot be made, and HOME is not a place for root's files.
    const asRoot = currentSessions(request(), config, { HOME: dir });
    expect(asRoot).toEqual({
      sessions: [sessionOf(c.alice), sessionOf(c.dave)],
      warnings: [`keeping no sessions checkpoint, reading the whole log at every call: cannot create ${config.stateDir}: its parent directory is missing (root keeps it in the state directory only, never under HOME)`],
      incomplete: false,
    });
    // Another user whose state directory is root's, without HOME: the same answer, and why.
    mkdirSync(`${dir}/missing`, { mode: 0o755 });
    mkdirSync(config.stateDir, { mode: 0o755 });
    const asUser = asNobody(() => currentSessions(request(), config, {}));
    expect(asUser.sessions).toEqual([sessionOf(c.alice), sessionOf(c.dave)]);
    expect(asUser.warnings).toEqual([
      `keeping no sessions checkpoint, reading the whole log at every call: ${config.stateDir} is owned by uid 0, not by this user (uid 65534), and neither XDG_CACHE_HOME nor HOME names a cache directory`,
    ]);
    expect(existsSync(`${config.stateDir}/sessions.checkpoint`)).toBe(false);
  });

  it.runIf(isRoot)('answers from the run directory, open sessions only, for a user who may not read the log', () => {
    const config = scratchConfig();
    chmodSync(dir, 0o755);
    const c = corpus();
    mkdirSync(config.logDir, { mode: 0o750 });
    writeFileSync(config.logFile, c.lines);
    for (const open of [c.alice, c.bob, c.dave]) saveOpenSession(config.runDir, open);
    // An entry only root may read, and one that is not a record.
    writeFileSync(`${openSessionsDirOf(config.runDir)}/1-2-0000000000000000.json`, '{}', { mode: 0o600 });
    writeFileSync(`${openSessionsDirOf(config.runDir)}/3-4-0000000000000000.json`, '{"event":"session_open"}', { mode: 0o644 });

    const answer = asNobody(() => currentSessions(request({ includeGone: true }), config, {}));
    expect(answer).toEqual({
      sessions: [sessionOf(c.alice), sessionOf(c.bob, 'gone'), sessionOf(c.dave)],
      warnings: [
        `Cannot read ${config.logFile}: permission denied (EACCES); reading the log needs group adm (or root); answering from ${config.runDir}/sessions (open sessions only)`,
        `skipped 2 unreadable entries in ${config.runDir}/sessions`,
      ],
      incomplete: false,
    });
    expect(asNobody(() => currentSessions(request({ user: 'alice' }), config, {})).sessions).toEqual([sessionOf(c.alice)]);
    // Given as an input, the same log is an error: the fallback is for the default only.
    expect(() => asNobody(() => currentSessions(request({ inputs: [config.logFile] }), config, {}))).toThrow(
      new InputError(config.logFile, 'EACCES', 'permission denied (EACCES)'),
    );
  });
});
