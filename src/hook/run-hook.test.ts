import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { afterEach, describe, expect, it } from 'vitest';
import type { Config } from '../config/config.ts';
import { formatTimestamp, type Micros } from '../record/time.ts';
import type { LogRecord } from '../record/types.ts';
import { entryName, openSessionsDirOf, saveSessionTerminal } from '../store/open-sessions.ts';
import { bootId, bootTimeSeconds, kernelHostname, kernelRelease } from '../sys/host.ts';
import { auditSessionOf, processStartTicks } from '../sys/processes.ts';
import { correlatedRecord, newProgress, runHook, type HookInputs, type TerminalWatch } from './run-hook.ts';

let dir = '';
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function scratchConfig(changes: Partial<Config> = {}): Config {
  dir = mkdtempSync(`${tmpdir()}/ls-runhook-`);
  return {
    logDir: `${dir}/log`,
    logFile: `${dir}/log/sessions.jsonl`,
    runDir: `${dir}/run`,
    stateDir: `${dir}/state`,
    hostname: 'web1',
    ignoreServices: ['cron', 'systemd-user'],
    fsync: false,
    maxBytes: 0,
    keepDays: 0,
    configPath: null,
    rulesPath: `${dir}/rules.json`,
    webhook: null,
    mail: null,
    ...changes,
  };
}

const t0: Micros = Date.UTC(2026, 10, 21, 9, 0, 0) * 1000;
const clock = (at: Micros) => () => at;
const uuid = expect.stringMatching(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);

/** What pam_exec hands the hook for an sshd session of root from 203.0.113.9. */
function pamEnv(type: string, fields: Record<string, string> = {}): Record<string, string> {
  return { PAM_TYPE: type, PAM_USER: 'root', PAM_SERVICE: 'sshd', PAM_TTY: '/dev/pts/4', PAM_RHOST: '203.0.113.9', PAM_RUSER: '', XDG_SESSION_ID: '12', ...fields };
}

function inputs(config: Config, env: Record<string, string>, at: Micros, args: string[] = [], parentPid = process.pid): HookInputs {
  return { args, env, config, parentPid, now: clock(at) };
}

function logRecords(config: Config): Array<LogRecord & Record<string, unknown>> {
  return readFileSync(config.logFile, 'utf8').trimEnd().split('\n').map((line) => JSON.parse(line));
}

const self = { pid: process.pid, pid_start: processStartTicks(process.pid) };

/** Whether a child may begin an audit session here, as pam_loginuid does (root, a kernel with audit, the capability). */
const auditable = spawnSync('/bin/sh', ['-c', 'echo 0 > /proc/self/loginuid && cat /proc/self/sessionid'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).stdout.trim() !== '' &&
  existsSync('/proc/self/sessionid');

async function waitForAuditSession(pid: number): Promise<number> {
  for (let i = 0; i < 500; i++) {
    const sid = auditSessionOf(pid);
    if (sid !== null && sid !== auditSessionOf(process.pid) && readFileSync(`/proc/${pid}/cmdline`, 'utf8').startsWith('sleep')) return sid;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`process ${pid} began no audit session`);
}

describe('runHook()', () => {
  it('gives an open and the close from the same PAM process one session id; the close has login_time and duration_s', async () => {
    const config = scratchConfig();
    const opened = await runHook(inputs(config, pamEnv('open_session'), t0));
    expect(opened).toEqual({ status: 'appended', result: { status: 'written', drained: 0, rejected: 0 } });
    const [open] = logRecords(config);
    expect(readdirSync(openSessionsDirOf(config.runDir))).toEqual([entryName({ ...self, pid_start: self.pid_start ?? 0, service: 'sshd', user: 'root', tty: 'pts/4' })]);

    const closed = await runHook(inputs(config, pamEnv('close_session'), t0 + 90_500_000));
    expect(closed).toEqual({ status: 'appended', result: { status: 'written', drained: 0, rejected: 0 } });
    const records = logRecords(config);
    expect(records).toEqual([
      {
        schema: 'logsphere/1', event_id: uuid, ts: '2026-11-21T09:00:00.000000Z', host: 'web1', boot_id: bootId(), source: 'pam',
        event: 'session_open', session_id: uuid, user: 'root', uid: 0, tty: 'pts/4', rhost: '203.0.113.9', ruser: null,
        service: 'sshd', pid: self.pid, pid_start: self.pid_start, xdg_session_id: '12',
      },
      {
        schema: 'logsphere/1', event_id: uuid, ts: '2026-11-21T09:01:30.500000Z', host: 'web1', boot_id: bootId(), source: 'pam',
        event: 'session_close', session_id: open?.['session_id'], user: 'root', uid: 0, tty: 'pts/4', rhost: '203.0.113.9', ruser: null,
        service: 'sshd', pid: self.pid, pid_start: self.pid_start, xdg_session_id: '12',
        login_time: '2026-11-21T09:00:00.000000Z', duration_s: 90.5,
      },
    ]);
    expect(records[1]?.event_id).not.toBe(records[0]?.event_id);
    // The close took the open's entry.
    expect(readdirSync(openSessionsDirOf(config.runDir))).toEqual([]);
  });

  it('gives a close without an open a null session id and no login_time or duration_s', async () => {
    const config = scratchConfig();
    await runHook(inputs(config, pamEnv('close_session'), t0));
    const [close] = logRecords(config);
    expect(close).toMatchObject({ event: 'session_close', session_id: null, user: 'root', pid: self.pid });
    expect(close).not.toHaveProperty('login_time');
    expect(close).not.toHaveProperty('duration_s');
  });

  it('does not pair a close with the open of another PAM process, whose entry stays', async () => {
    const config = scratchConfig();
    await runHook(inputs(config, pamEnv('open_session'), t0));
    await runHook(inputs(config, pamEnv('close_session'), t0 + 1_000_000, [], process.ppid));
    const [open, close] = logRecords(config);
    expect(close).toMatchObject({ event: 'session_close', session_id: null, pid: process.ppid, pid_start: processStartTicks(process.ppid) });
    expect(open?.session_id).toEqual(uuid);
    expect(readdirSync(openSessionsDirOf(config.runDir))).toHaveLength(1);
  });

  it('asks for the pty of an sshd session (PAM_TTY ssh) to be looked for, and records on the close the pty found meanwhile', async () => {
    const config = scratchConfig();
    const watches: TerminalWatch[] = [];
    const ssh = pamEnv('open_session', { PAM_TTY: 'ssh' });
    await runHook({ ...inputs(config, ssh, t0), watchTerminal: (w) => watches.push(w) });
    const entry = entryName({ ...self, pid_start: self.pid_start ?? 0, service: 'sshd', user: 'root', tty: 'ssh' });
    expect(watches).toEqual([{ runDir: config.runDir, entry, pid: self.pid, pidStart: self.pid_start }]);
    expect(saveSessionTerminal(config.runDir, entry, 'pts/6')).toBe(true);
    await runHook({ ...inputs(config, { ...ssh, PAM_TYPE: 'close_session' }, t0 + 1), watchTerminal: (w) => watches.push(w) });
    const [open, close] = logRecords(config);
    expect(open).not.toHaveProperty('pty');
    expect(close).toMatchObject({ event: 'session_close', session_id: open?.['session_id'], tty: 'ssh', pty: 'pts/6' });
    expect(watches).toHaveLength(1);
    expect(readdirSync(openSessionsDirOf(config.runDir))).toEqual([]);
  });

  it('looks for no pty when PAM names the terminal, and records none on the close', async () => {
    const config = scratchConfig();
    const watches: TerminalWatch[] = [];
    await runHook({ ...inputs(config, pamEnv('open_session'), t0), watchTerminal: (w) => watches.push(w) });
    await runHook({ ...inputs(config, pamEnv('close_session'), t0 + 1), watchTerminal: (w) => watches.push(w) });
    expect(watches).toEqual([]);
    expect(logRecords(config)[1]).not.toHaveProperty('pty');
  });

  it.skipIf(!auditable)('records the audit session the PAM process began, and none it inherited', async () => {
    const config = scratchConfig();
    // A process that sets its login uid, as pam_loginuid does for sshd's [priv] monitor.
    const caller = spawn('/bin/sh', ['-c', 'echo 0 > /proc/self/loginuid && exec sleep 60'], { stdio: 'ignore' });
    try {
      const pid = caller.pid as number;
      const sid = await waitForAuditSession(pid);
      await runHook(inputs(config, pamEnv('open_session', { PAM_TTY: 'tty3' }), t0, [], pid));
      await runHook(inputs(config, pamEnv('open_session', { PAM_TTY: 'tty4' }), t0));
      const [own, inherited] = logRecords(config);
      expect(own).toMatchObject({ pid, audit_session: sid });
      expect(inherited).not.toHaveProperty('audit_session');
    } finally {
      caller.kill('SIGKILL');
    }
  });

  it('records a caller already gone (the hook reparented to init) as pid 0, never as init, which never ends', async () => {
    const config = scratchConfig();
    await runHook(inputs(config, pamEnv('open_session'), t0, [], 1));
    const [open] = logRecords(config);
    expect(open).toMatchObject({ event: 'session_open', pid: 0, pid_start: 0 });
  });

  it('records a boot with the kernel and boot time, and a shutdown, as systemd records without login fields', async () => {
    const config = scratchConfig({ hostname: null });
    expect(await runHook(inputs(config, {}, t0, ['boot']))).toMatchObject({ status: 'appended', result: { status: 'written' } });
    await runHook(inputs(config, {}, t0 + 1, ['shutdown']));
    expect(logRecords(config)).toEqual([
      {
        schema: 'logsphere/1', event_id: uuid, ts: '2026-11-21T09:00:00.000000Z', host: kernelHostname(), boot_id: bootId(), source: 'systemd',
        event: 'boot', kernel: kernelRelease(), boot_time: formatTimestamp(bootTimeSeconds() * 1e6),
      },
      { schema: 'logsphere/1', event_id: uuid, ts: '2026-11-21T09:00:00.000001Z', host: kernelHostname(), boot_id: bootId(), source: 'systemd', event: 'shutdown' },
    ]);
    expect(existsSync(openSessionsDirOf(config.runDir))).toBe(false);
  });

  it('records a failed login with a null session id and uid for an unknown user, leaving no open-session entry', async () => {
    const config = scratchConfig();
    const env = pamEnv('auth', { PAM_USER: 'nosuchuser-ls', PAM_TTY: 'ssh', PAM_RUSER: 'mallory' });
    delete env['XDG_SESSION_ID'];
    await runHook(inputs(config, env, t0, ['auth-failure']));
    expect(logRecords(config)).toEqual([
      {
        schema: 'logsphere/1', event_id: uuid, ts: '2026-11-21T09:00:00.000000Z', host: 'web1', boot_id: bootId(), source: 'pam',
        event: 'auth_failure', session_id: null, user: 'nosuchuser-ls', uid: null, tty: 'ssh', rhost: '203.0.113.9', ruser: 'mallory',
        service: 'sshd', pid: self.pid, pid_start: self.pid_start,
      },
    ]);
    expect(existsSync(openSessionsDirOf(config.runDir))).toBe(false);
  });

  it('caps an overlong PAM item at 256 bytes and names it in truncated', async () => {
    const config = scratchConfig();
    await runHook(inputs(config, pamEnv('open_session', { PAM_RHOST: 'h'.repeat(300) }), t0));
    expect(logRecords(config)[0]).toMatchObject({ rhost: 'h'.repeat(256), truncated: ['rhost'] });
  });

  it.each([
    ['an ignored service', pamEnv('open_session', { PAM_SERVICE: 'cron' }), [], { reason: 'service cron is ignored', unexpected: false }],
    ['an ignored service failing authentication', pamEnv('auth', { PAM_SERVICE: 'systemd-user' }), ['auth-failure'], { reason: 'service systemd-user is ignored', unexpected: false }],
    ['PAM_TYPE=account', pamEnv('account'), [], { reason: 'nothing to record for PAM_TYPE=account', unexpected: false }],
    ['PAM_TYPE=auth without auth-failure', pamEnv('auth'), [], { reason: 'nothing to record for PAM_TYPE=auth', unexpected: false }],
    ['PAM_TYPE=password', pamEnv('password'), [], { reason: 'nothing to record for PAM_TYPE=password', unexpected: false }],
    ['an unknown command', {}, ['reboot'], { reason: 'unknown command "reboot"', unexpected: true }],
  ])('skips %s, writing nothing anywhere', async (_what, env, args, skip) => {
    const config = scratchConfig();
    const progress = newProgress();
    expect(await runHook(inputs(config, env, t0, [...args]), progress)).toEqual({ status: 'skipped', ...skip });
    expect(progress).toEqual(newProgress());
    expect(existsSync(config.logDir)).toBe(false);
    expect(existsSync(config.runDir)).toBe(false);
  });

  it('fills in its progress: the pending line ordered by the record time, and written', async () => {
    const config = scratchConfig();
    const progress = newProgress();
    await runHook(inputs(config, {}, t0, ['shutdown']), progress);
    const line = readFileSync(config.logFile, 'utf8');
    expect(progress).toEqual({ pending: { order: t0, id: JSON.parse(line).event_id, line }, claimed: null, written: true });
  });

  it('spools the record when the log cannot be written, keeping the open-session entry for the close', async () => {
    const config = scratchConfig();
    const blocked = { ...config, logDir: `${config.logFile}/x`, logFile: `${config.logFile}/x/sessions.jsonl` };
    const outcome = await runHook(inputs(blocked, pamEnv('open_session'), t0));
    expect(outcome).toMatchObject({ status: 'appended', result: { status: 'spooled' } });
    expect(readdirSync(`${config.runDir}/spool`)).toHaveLength(1);
    expect(readdirSync(openSessionsDirOf(config.runDir))).toHaveLength(1);
  });
});

describe('correlatedRecord()', () => {
  it('builds the record at the clock\'s time without appending it, and saves an open for its close', () => {
    const config = scratchConfig();
    const built = correlatedRecord(inputs(config, pamEnv('open_session'), t0));
    expect(built).toMatchObject({ at: t0, record: { event: 'session_open', ts: formatTimestamp(t0) } });
    expect(existsSync(config.logFile)).toBe(false);
    const close = correlatedRecord(inputs(config, pamEnv('close_session'), t0 + 5_000_000));
    const openId = 'record' in built ? built.record.event === 'session_open' && built.record.session_id : null;
    expect(close).toMatchObject({ at: t0 + 5_000_000, record: { event: 'session_close', session_id: openId, duration_s: 5 } });
    expect(readdirSync(openSessionsDirOf(config.runDir))).toEqual([]);
  });

  it('says why it skips and whether that was expected', () => {
    const config = scratchConfig();
    expect(correlatedRecord(inputs(config, {}, t0, ['boot', 'now']))).toEqual({ skip: 'unexpected arguments: now', unexpected: true });
    expect(correlatedRecord(inputs(config, pamEnv('open_session', { PAM_SERVICE: 'cron' }), t0))).toEqual({ skip: 'service cron is ignored', unexpected: false });
  });
});
