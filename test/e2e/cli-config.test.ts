// The files the CLI reads and writes as root or as a user: no write through a user's HOME, the
// state directory made or refused by its owner, a config file a user may not read, and the
// secrets file read only by the commands that send.
import { spawnSync } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  chmodSync, chownSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as build from '../../src/record/build.ts';
import { writeConfigFile } from '../helpers/hook.ts';
import { cliBundle, nodePath, requireBuilt } from '../helpers/paths.ts';
import { missing } from '../helpers/require.ts';
import { runCli } from '../helpers/watch.ts';
import { lookupGid } from '../../src/sys/accounts.ts';

const t0 = Date.UTC(2026, 10, 20, 9, 0, 0) * 1000;
const origin = { host: 'web1', boot_id: 'b-1', source: 'pam' } as const;
const login: build.Login = { user: 'alice', uid: 1000, tty: 'pts/1', rhost: '203.0.113.7', ruser: null, service: 'sshd', pid: 42, pid_start: 7 };

let dir = '';
beforeAll(() => {
  requireBuilt();
  dir = mkdtempSync(`${tmpdir()}/ls-cli-config-`);
  chmodSync(dir, 0o755);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A fresh case directory with a log holding one open session (another host's: never "gone"). */
function logDir(name: string): string {
  const d = `${dir}/${name}`;
  mkdirSync(`${d}/log`, { recursive: true });
  writeFileSync(`${d}/log/sessions.jsonl`, `${build.toLine(build.sessionOpen(origin, login, t0))}`, { mode: 0o644 });
  chmodSync(d, 0o755);
  chmodSync(`${d}/log`, 0o755);
  return d;
}

const cli = (args: string[], env: Record<string, string>, user?: string) =>
  user === undefined
    ? spawnSync(nodePath, [cliBundle, ...args], { encoding: 'utf8', env })
    : spawnSync('runuser', ['-u', user, '--', '/usr/bin/env', '-i', ...Object.entries(env).map(([k, v]) => `${k}=${v}`), nodePath, cliBundle, ...args], { encoding: 'utf8' });

describe.skipIf(missing({ root: true, commands: ['/usr/sbin/runuser'] }))('the CLI run by root', () => {
  it('never falls back to HOME when its state directory cannot be had, and writes through no link there', () => {
    const d = logDir('home');
    writeFileSync(`${d}/root-only`, 'secret\n', { mode: 0o600 });
    // What a user left in the HOME that sudo kept: a link where the cached checkpoint would go.
    mkdirSync(`${d}/home/.cache/logsphere`, { recursive: true });
    symlinkSync(`${d}/root-only`, `${d}/home/.cache/logsphere/sessions.checkpoint`);
    const env = { LOGSPHERE_LOG_DIR: `${d}/log`, LOGSPHERE_RUN_DIR: `${d}/run`, LOGSPHERE_STATE_DIR: `${d}/no/such/state`, LOGSPHERE_CONFIG: '/dev/null', HOME: `${d}/home` };
    for (const extra of [{}, { XDG_CACHE_HOME: `${d}/home/.cache` }]) {
      const r = cli(['sessions', '--json'], { ...env, ...extra });
      expect(r.status, r.stderr).toBe(0);
      expect(JSON.parse(r.stdout)).toEqual([expect.objectContaining({ user: 'alice', end: null })]);
    }
    expect(readFileSync(`${d}/root-only`, 'utf8')).toBe('secret\n');
    expect(readdirSync(`${d}/home/.cache/logsphere`)).toEqual(['sessions.checkpoint']);
    expect(lstatSync(`${d}/home/.cache/logsphere/sessions.checkpoint`).isSymbolicLink()).toBe(true);
    expect(existsSync(`${d}/no`)).toBe(false);
  });

  it('says that the file LOGSPHERE_CONFIG names does not exist, and answers; /dev/null is no file', () => {
    const d = logDir('missing-config');
    const env = { LOGSPHERE_LOG_DIR: `${d}/log`, LOGSPHERE_RUN_DIR: `${d}/run`, LOGSPHERE_STATE_DIR: `${d}/state` };
    const typo = cli(['sessions', '--json'], { ...env, LOGSPHERE_CONFIG: `${d}/logsphere.evn` });
    expect(typo.status).toBe(0);
    expect(JSON.parse(typo.stdout)).toEqual([expect.objectContaining({ user: 'alice' })]);
    expect(typo.stderr).toBe(`logsphere: ${d}/logsphere.evn (LOGSPHERE_CONFIG) does not exist: using the defaults and the environment; LOGSPHERE_CONFIG=/dev/null for no file\n`);
    const none = cli(['sessions', '--json'], { ...env, LOGSPHERE_CONFIG: '/dev/null' });
    expect([none.status, none.stderr, none.stdout]).toEqual([0, '', typo.stdout]);
    // A file there that this user may not reach is not said to be missing.
    mkdirSync(`${d}/closed`, { mode: 0o700 });
    writeFileSync(`${d}/closed/logsphere.env`, '', { mode: 0o600 });
    const closed = cli(['last', '--input', `${d}/log/sessions.jsonl`], { ...env, LOGSPHERE_CONFIG: `${d}/closed/logsphere.env` }, 'nobody');
    expect(closed.status).toBe(0);
    expect(closed.stderr).toBe(`logsphere: Cannot read ${d}/closed/logsphere.env: EACCES; using the defaults and the environment\n`);
    // A name with a terminal's escape in it is shown escaped.
    const escape = cli(['sessions', '--json'], { ...env, LOGSPHERE_CONFIG: `${d}/\u001b[2Jlogsphere.env` });
    expect(escape.stderr).toBe(`logsphere: ${d}/\\e[2Jlogsphere.env (LOGSPHERE_CONFIG) does not exist: using the defaults and the environment; LOGSPHERE_CONFIG=/dev/null for no file\n`);
  });

  it('creates a missing state directory 0755 and keeps its checkpoint there, 0600', () => {
    const d = logDir('state');
    const r = cli(['sessions'], { LOGSPHERE_LOG_DIR: `${d}/log`, LOGSPHERE_RUN_DIR: `${d}/run`, LOGSPHERE_STATE_DIR: `${d}/state`, LOGSPHERE_CONFIG: '/dev/null', HOME: `${d}/home` });
    expect(r.status, r.stderr).toBe(0);
    expect(statSync(`${d}/state`).mode & 0o7777).toBe(0o755);
    expect(statSync(`${d}/state/sessions.checkpoint`).mode & 0o7777).toBe(0o600);
    expect(readdirSync(`${d}/state`)).toEqual(['sessions.checkpoint']);
    expect(existsSync(`${d}/home`)).toBe(false);
  });

  it('reads the whole log when its checkpoint is damaged, says so, and writes a good one', () => {
    const d = logDir('damaged');
    mkdirSync(`${d}/state`, { mode: 0o755 });
    writeFileSync(`${d}/state/sessions.checkpoint`, 'logsphere sessions checkpoint 4\n{"files":[', { mode: 0o600 });
    const env = { LOGSPHERE_LOG_DIR: `${d}/log`, LOGSPHERE_RUN_DIR: `${d}/run`, LOGSPHERE_STATE_DIR: `${d}/state`, LOGSPHERE_CONFIG: '/dev/null' };
    const r = cli(['sessions', '--json'], env);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toBe(`logsphere: Cannot use the checkpoint ${d}/state/sessions.checkpoint: damaged; reading the whole log\n`);
    expect(JSON.parse(r.stdout)).toEqual([expect.objectContaining({ user: 'alice', end: null })]);
    const again = cli(['sessions', '--json'], env);
    expect(again.stderr).toBe('');
    expect(again.stdout).toBe(r.stdout);
  });

  it('writes no checkpoint into a state directory another user owns', () => {
    const d = logDir('foreign');
    mkdirSync(`${d}/state`);
    chownSync(`${d}/state`, 65534, 65534);
    const env = { LOGSPHERE_LOG_DIR: `${d}/log`, LOGSPHERE_RUN_DIR: `${d}/run`, LOGSPHERE_STATE_DIR: `${d}/state`, LOGSPHERE_CONFIG: '/dev/null' };
    const r = cli(['sessions', '--json'], env);
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toHaveLength(1);
    expect(readdirSync(`${d}/state`)).toEqual([]);
    const follow = cli(['follow', '--checkpoint', 'siem', '--from-start', '--once', '--input', `${d}/log`], env);
    expect(follow.status).toBe(1);
    expect(follow.stderr).toContain(`Refusing to write through ${d}/state: owned by uid 65534, not by this user (uid 0)`);
    expect(readdirSync(`${d}/state`)).toEqual([]);
  });

  it('refuses a config file other users can write', () => {
    const d = logDir('writable-config');
    writeConfigFile(`${d}/logsphere.env`, { LOGSPHERE_LOG_DIR: `${d}/log` }, 0o666);
    const r = cli(['sessions'], { LOGSPHERE_CONFIG: `${d}/logsphere.env` });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`Refusing to read configuration from ${d}/logsphere.env: writable by group or others (mode 0666)`);
  });
});

describe.skipIf(missing({ root: true, commands: ['/usr/sbin/runuser'] }))('the CLI run by a user', () => {
  it('answers a read-only query when the config file is root-only, with a warning', () => {
    const d = logDir('root-only-config');
    writeConfigFile(`${d}/logsphere.env`, { LOGSPHERE_LOG_DIR: `${d}/log`, LOGSPHERE_HOSTNAME: 'web1' }, 0o600);
    const r = cli(['last', '--json', '--input', `${d}/log/sessions.jsonl`], { LOGSPHERE_CONFIG: `${d}/logsphere.env`, TZ: 'UTC' }, 'nobody');
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual([expect.objectContaining({ user: 'alice' })]);
    expect(r.stderr).toBe(`logsphere: Cannot read ${d}/logsphere.env: EACCES; using the defaults and the environment\n`);
  });

  it('runs doctor as a user: what only root may read is explained, not failed, and owners are names', () => {
    const d = logDir('doctor-user');
    chownSync(`${d}/log`, 0, lookupGid('adm') ?? 0);
    chmodSync(`${d}/log`, 0o750);
    chmodSync(`${d}/log/sessions.jsonl`, 0o640);
    mkdirSync(`${d}/run/spool`, { recursive: true, mode: 0o700 });
    chmodSync(`${d}/run`, 0o755);
    chmodSync(`${d}/run/spool`, 0o700);
    mkdirSync(`${d}/state`, { mode: 0o755 });
    writeConfigFile(`${d}/logsphere.env`, { LOGSPHERE_LOG_DIR: `${d}/log`, LOGSPHERE_RUN_DIR: `${d}/run`, LOGSPHERE_STATE_DIR: `${d}/state` });
    const r = cli(['doctor'], { LOGSPHERE_CONFIG: `${d}/logsphere.env` }, 'nobody');
    expect(r.stdout).toMatch(new RegExp(`^OK +log directory: ${d}/log 0750 root:${lookupGid('adm') === null ? 'root' : 'adm'}$`, 'm'));
    expect(r.stdout).toContain(`WARN  log file: not checked: ${d}/log/sessions.jsonl is out of this user's reach (run logsphere doctor as root)`);
    expect(r.stdout).toContain(`WARN  boot record: not checked: reading ${d}/log/sessions.jsonl needs group adm or root (run logsphere doctor as root)`);
    expect(r.stdout).toContain(`WARN  spool: not checked: ${d}/run/spool is root's (run logsphere doctor as root)`);
    expect(r.stdout).not.toMatch(/^FAIL +(log file|boot record|spool):/m);
  });

  it('says what reading the log takes when this user may not read it', () => {
    const d = logDir('adm-only');
    chmodSync(`${d}/log`, 0o750);
    const r = cli(['last'], { LOGSPHERE_LOG_DIR: `${d}/log`, LOGSPHERE_CONFIG: '/dev/null', LOGSPHERE_STATE_DIR: `${d}/state` }, 'nobody');
    expect(r.status).toBe(1);
    expect(r.stderr).toBe(`logsphere: Cannot read ${d}/log/sessions.jsonl: permission denied (EACCES); reading the log needs group adm (or root)\n`);
  });

  it('does not read the secrets file for a query', () => {
    const d = logDir('secrets-query');
    writeConfigFile(`${d}/logsphere.env`, { LOGSPHERE_LOG_DIR: `${d}/log` });
    writeConfigFile(`${d}/secrets.env`, { LOGSPHERE_SMTP_PASSWORD: 'hunter2' }, 0o600);
    const r = cli(['last', '--json'], { LOGSPHERE_CONFIG: `${d}/logsphere.env`, LOGSPHERE_STATE_DIR: `${d}/state`, HOME: `${d}` }, 'nobody');
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout)).toHaveLength(1);
  });
});

describe.skipIf(missing({ root: true }))('the secrets file', () => {
  let server: Server;
  const posted: string[] = [];
  beforeAll(async () => {
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        posted.push(`${req.url} ${body}`);
        res.statusCode = 204;
        res.end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it("gives watch its webhook URL from secrets.env beside the config file, and warns when others can read it", async () => {
    const d = logDir('secrets-watch');
    const failures = Array.from({ length: 5 }, (_, i) => build.toLine(build.authFailure(origin, { ...login, user: 'root', rhost: '192.0.2.9' }, t0 + i * 1_000_000))).join('');
    writeFileSync(`${d}/log/sessions.jsonl`, failures);
    writeFileSync(`${d}/rules.json`, JSON.stringify({ rules: [{ type: 'failures_by_rhost', threshold: 5, window: '10m' }] }));
    writeConfigFile(`${d}/logsphere.env`, { LOGSPHERE_LOG_DIR: `${d}/log`, LOGSPHERE_STATE_DIR: `${d}/state`, LOGSPHERE_RUN_DIR: `${d}/run`, LOGSPHERE_RULES: `${d}/rules.json` });
    writeConfigFile(`${d}/secrets.env`, { LOGSPHERE_WEBHOOK_URL: `http://127.0.0.1:${(server.address() as AddressInfo).port}/from-secrets` }, 0o600);
    const r = await runCli(['watch', '--from-start', '--once'], { LOGSPHERE_CONFIG: `${d}/logsphere.env`, TZ: 'UTC' });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toBe('');
    expect(posted).toHaveLength(1);
    expect(posted[0]).toMatch(/^\/from-secrets \{"schema":"logsphere-alert\/1","alert_id"/);

    chmodSync(`${d}/secrets.env`, 0o644);
    rmSync(`${d}/state`, { recursive: true });
    const again = await runCli(['watch', '--from-start', '--once'], { LOGSPHERE_CONFIG: `${d}/logsphere.env`, TZ: 'UTC' });
    expect(again.stderr).toContain(`logsphere: ${d}/secrets.env is readable by others than root: make it mode 0600\n`);
    expect(posted).toHaveLength(2);
  });

  it('warns of secrets in a config file others can read, at any command', () => {
    const d = logDir('secrets-in-config');
    const env = { LOGSPHERE_CONFIG: `${d}/logsphere.env`, LOGSPHERE_STATE_DIR: `${d}/state`, PATH: '/usr/bin:/bin' };
    const stderrWith = (values: Record<string, string>, mode = 0o644) => {
      writeConfigFile(`${d}/logsphere.env`, { LOGSPHERE_LOG_DIR: `${d}/log`, ...values }, mode);
      const r = cli(['last', '--json'], env);
      expect(r.status, r.stderr).toBe(0);
      expect(JSON.parse(r.stdout)).toHaveLength(1);
      return r.stderr;
    };
    const put = (names: string, them: boolean) =>
      `logsphere: ${d}/logsphere.env sets ${names}, and others than root can read it: put ${them ? 'them' : 'it'} in ${d}/secrets.env (owner root, mode 0600)\n`;
    expect(stderrWith({ LOGSPHERE_DATABASE_URL: 'postgresql://fleet:s3cret@db.example.net/fleet' })).toBe(put('LOGSPHERE_DATABASE_URL', false));
    expect(stderrWith({ LOGSPHERE_DATABASE_URL: 'postgresql://fleet@/fleet?host=/run/postgresql&password=s3cret' })).toBe(put('LOGSPHERE_DATABASE_URL', false));
    expect(stderrWith({ LOGSPHERE_SMTP_PASSWORD: 'hunter2', LOGSPHERE_WEBHOOK_URL: 'https://hooks.example.net/T0/secret' })).toBe(put('LOGSPHERE_SMTP_PASSWORD, LOGSPHERE_WEBHOOK_URL', true));
    // A URL without a password is no secret; a file only root reads holds them safely.
    expect(stderrWith({ LOGSPHERE_DATABASE_URL: 'postgresql://fleet@db.example.net/fleet' })).toBe('');
    expect(stderrWith({ LOGSPHERE_SMTP_PASSWORD: 'hunter2' }, 0o600)).toBe('');
  });
});
