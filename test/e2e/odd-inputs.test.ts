// The query commands as processes on inputs an administrator may meet: a compressed segment cut
// short beside healthy files (answered from what can be read, the damage named, exit 1 after the
// answer), and a FIFO and a link named like logs in an input directory (left out and reported,
// never opened; a FIFO named on its own is read as a stream).
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { constants, gunzipSync, gzipSync } from 'node:zlib';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import * as build from '../../src/record/build.ts';
import type { LogRecord } from '../../src/record/types.ts';
import { cliBundle, nodePath, requireBuilt } from '../helpers/paths.ts';

const origin = { host: 'web1', boot_id: '00000000-0000-4000-8000-000000000001', source: 'pam' } as const;
const t0 = Date.UTC(2026, 10, 20, 9, 0, 0) * 1000;
const minutes = (n: number) => t0 + n * 60_000_000;
const login = (user: string, pid: number): build.Login => ({ user, uid: 1000, tty: `pts/${pid % 50}`, rhost: '203.0.113.7', ruser: null, service: 'sshd', pid, pid_start: 7 });
const text = (records: LogRecord[]) => records.map(build.toLine).join('');

let dir = '';
const env = () => ({ LOGSPHERE_LOG_DIR: `${dir}/log`, LOGSPHERE_STATE_DIR: `${dir}/state`, LOGSPHERE_RUN_DIR: `${dir}/run`, LOGSPHERE_CONFIG: '/dev/null', TZ: 'UTC', PATH: '/usr/bin:/bin' });
// A hang is a failure here, not a stuck test run.
const cli = (args: string[]) => spawnSync(nodePath, [cliBundle, ...args], { encoding: 'utf8', env: env(), timeout: 30_000 });
const users = (stdout: string) => (JSON.parse(stdout) as Array<{ user: string }>).map((s) => s.user);

beforeAll(() => requireBuilt());
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/**
 * Where to cut `gzip` about half-way so that what can be read of it ends with a failed login: the
 * sessions before the cut are then all closed, whatever ids this run's records have. (A cut
 * between a login and its logout would leave that session open, and rightly listed by sessions.)
 */
function cutAfterFailure(gzip: Buffer): number {
  for (let at = Math.floor(gzip.length / 2); at < gzip.length; at++) {
    const lines = gunzipSync(gzip.subarray(0, at), { finishFlush: constants.Z_SYNC_FLUSH }).toString().split('\n').slice(0, -1);
    if (lines.at(-1)?.includes(`"event":"auth_failure"`)) return at;
  }
  throw new Error('no cut after a failed login');
}

describe('a compressed segment cut short beside healthy files', () => {
  function setup() {
    dir = mkdtempSync(`${tmpdir()}/ls-damaged-`);
    mkdirSync(`${dir}/log`);
    // 400 logins and logouts of old1..old400, a failed login after each: its first part survives.
    const old: LogRecord[] = [];
    for (let i = 1; i <= 400; i++) {
      const l = login(`old${i}`, 1000 + i);
      const open = build.sessionOpen(origin, l, minutes(i));
      old.push(open, build.sessionClose(origin, l, minutes(i) + 30_000_000, open), build.authFailure(origin, { ...l, user: `bad${i}` }, minutes(i) + 40_000_000));
    }
    const whole = gzipSync(text(old));
    const damaged = `${dir}/log/sessions-20261120T160000Z.jsonl.gz`;
    writeFileSync(damaged, whole.subarray(0, cutAfterFailure(whole)));
    utimesSync(damaged, new Date(minutes(401) / 1000), new Date(minutes(401) / 1000));
    // A healthy segment and the live file: carol logged in and out, dave still logged in.
    const carol = build.sessionOpen(origin, login('carol', 3001), minutes(500));
    writeFileSync(`${dir}/log/sessions-20261120T180000Z.jsonl`, text([carol, build.sessionClose(origin, login('carol', 3001), minutes(510), carol)]));
    writeFileSync(`${dir}/log/sessions.jsonl`, text([build.sessionOpen(origin, login('dave', 3002), minutes(600)), build.authFailure(origin, login('mallory', 3003), minutes(601))]));
    return { damaged, warning: `logsphere: Cannot read ${damaged}: not a readable gzip file (unexpected end of file); the records before the damage were read\n` };
  }

  it('sessions, last, failed and report answer from what can be read, name the file, and exit 1 after answering', () => {
    const { warning } = setup();
    // Twice for sessions: the second call goes through its checkpoint, and still says so.
    for (let i = 0; i < 2; i++) {
      const sessions = cli(['sessions', '--json']);
      expect(sessions.status).toBe(1);
      expect(users(sessions.stdout)).toEqual(['dave']);
      expect(sessions.stderr).toBe(warning);
    }

    const last = cli(['last', '--json']);
    expect(last.status).toBe(1);
    expect(last.stderr).toBe(warning);
    const history = users(last.stdout);
    expect(history.slice(0, 2)).toEqual(['dave', 'carol']);
    const kept = history.slice(2);
    expect(kept.length).toBeGreaterThan(20);
    expect(kept.length).toBeLessThan(400);
    // The logins before the damage, newest first, with none missing.
    expect(kept).toEqual(Array.from({ length: kept.length }, (_, i) => `old${kept.length - i}`));

    const failed = cli(['failed', '--json']);
    expect(failed.status).toBe(1);
    expect(failed.stderr).toBe(warning);
    const failures = users(failed.stdout);
    expect(failures[0]).toBe('mallory');
    expect(failures.length).toBeGreaterThan(20);

    const report = cli(['report', '--since', '2026-11-19', '--until', '2026-11-22', '--format', 'json']);
    expect(report.status).toBe(1);
    expect(report.stderr).toBe(warning);
    expect((JSON.parse(report.stdout) as { warnings: string[] }).warnings).toEqual([warning.slice('logsphere: '.length, -1)]);
  });
});

describe('a FIFO and a link named like logs in an input directory', () => {
  it('are left out and reported by last, sessions and failed, which answer from the regular files; a FIFO named on its own is read', async () => {
    dir = mkdtempSync(`${tmpdir()}/ls-odd-`);
    mkdirSync(`${dir}/log`);
    mkdirSync(`${dir}/elsewhere`);
    // What the link leads to must not be read (it could be /etc/shadow, read by root).
    writeFileSync(`${dir}/elsewhere/secret`, text([build.sessionOpen(origin, login('secret', 4000), minutes(1)), build.authFailure(origin, login('secret', 4000), minutes(2))]));
    writeFileSync(`${dir}/log/sessions.jsonl`, text([build.sessionOpen(origin, login('alice', 4001), minutes(3)), build.authFailure(origin, login('eve', 4002), minutes(4))]));
    execFileSync('mkfifo', [`${dir}/log/pipe.jsonl`]);
    symlinkSync(`${dir}/elsewhere/secret`, `${dir}/log/x.jsonl`);
    const skipped =
      `logsphere: skipped ${dir}/log/pipe.jsonl: a FIFO (only regular files are read from an input directory)\n` +
      `logsphere: skipped ${dir}/log/x.jsonl: a symbolic link (links in an input directory are not followed)\n`;
    const sorted = (stderr: string) => `${stderr.trimEnd().split('\n').sort().join('\n')}\n`;

    for (const input of [['--input', `${dir}/log`], []]) {
      const last = cli(['last', '--json', ...input]);
      expect(last.status, last.stderr).toBe(0);
      expect(users(last.stdout)).toEqual(['alice']);
      expect(sorted(last.stderr)).toBe(skipped);
      const sessions = cli(['sessions', '--json', ...input]);
      expect(sessions.status, sessions.stderr).toBe(0);
      expect(users(sessions.stdout)).toEqual(['alice']);
      expect(sorted(sessions.stderr)).toBe(skipped);
      const failed = cli(['failed', '--json', ...input]);
      expect(failed.status, failed.stderr).toBe(0);
      expect(users(failed.stdout)).toEqual(['eve']);
      expect(sorted(failed.stderr)).toBe(skipped);
    }

    // Named on its own, the FIFO is a stream, as `-` is.
    const writer = spawn('sh', ['-c', `cat '${dir}/log/sessions.jsonl' > '${dir}/log/pipe.jsonl'`]);
    const fromPipe = await new Promise<{ status: number | null; stdout: string }>((resolve) => {
      const child = spawn(nodePath, [cliBundle, 'failed', '--json', '--input', `${dir}/log/pipe.jsonl`], { env: env(), stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      child.on('close', (status) => resolve({ status, stdout }));
    });
    await new Promise((resolve) => (writer.exitCode !== null ? resolve(null) : writer.on('exit', resolve)));
    expect(fromPipe.status).toBe(0);
    expect(users(fromPipe.stdout)).toEqual(['eve']);
  });
});
