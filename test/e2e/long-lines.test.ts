// Lines and files built to blind a reader, against the CLI as a process: a 9 MiB line between two
// records (follow, watch, last and sessions read both records and count the line once, as
// malformed), and a gzip bomb (2 GiB of zeros in 2 MB) refused with a warning naming it (the
// other inputs answered, then exit 1), in bounded memory.
import { spawn, spawnSync } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { decompressedLimit } from '../../src/input/gunzip.ts';
import * as build from '../../src/record/build.ts';
import { gzipBomb } from '../helpers/gzip.ts';
import { cliBundle, nodePath, requireBuilt } from '../helpers/paths.ts';
import { missing } from '../helpers/require.ts';
import { waitFor } from '../helpers/sshd.ts';
import { startWatch, type WatchProcess } from '../helpers/watch.ts';

const origin = { host: 'web1', boot_id: '00000000-0000-4000-8000-000000000001', source: 'pam' } as const;
const t0 = Date.UTC(2026, 10, 20, 10, 0, 0) * 1000;
const login = (user: string, tty: string): build.Login => ({ user, uid: 1000, tty, rhost: '192.0.2.9', ruser: null, service: 'sshd', pid: 4000, pid_start: 9 });
const open1 = build.toLine(build.sessionOpen(origin, login('alice', 'pts/1'), t0));
const open2 = build.toLine(build.sessionOpen(origin, login('bob', 'pts/2'), t0 + 60_000_000));
const fail1 = build.toLine(build.authFailure(origin, login('root', 'ssh'), t0));
const fail2 = build.toLine(build.authFailure(origin, login('root', 'ssh'), t0 + 1_000_000));
/** A 9 MiB line: longer than any reader keeps, longer than follow's and watch's read budgets. */
const longLine = `{"schema":"logsphere/1","junk":"${'x'.repeat((9 << 20) - 40)}"}\n`;
/** Two failures from one host within the window: an alert only if both records get through. */
const rules = JSON.stringify({ rules: [{ type: 'failures_by_rhost', threshold: 2, window: '10m' }] });

let dir = '';
const running: WatchProcess[] = [];
function setup() {
  dir = mkdtempSync(`${tmpdir()}/ls-long-lines-`);
  mkdirSync(`${dir}/log`);
  mkdirSync(`${dir}/state`);
  writeFileSync(`${dir}/rules.json`, rules);
  return { LOGSPHERE_LOG_DIR: `${dir}/log`, LOGSPHERE_STATE_DIR: `${dir}/state`, LOGSPHERE_RUN_DIR: `${dir}/run`, LOGSPHERE_CONFIG: '/dev/null', TZ: 'UTC', PATH: '/usr/bin:/bin' };
}
const cli = (args: string[], env: Record<string, string>) => spawnSync(nodePath, [cliBundle, ...args], { env, encoding: 'utf8', maxBuffer: 1 << 26 });

beforeAll(() => requireBuilt());
afterEach(async () => {
  for (const w of running.splice(0)) await w.stop('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

describe('a 9 MiB line between two records', () => {
  it('logsphere last and sessions read both records and count the long line as one malformed line', () => {
    const env = setup();
    const log = `${dir}/log/sessions.jsonl`;
    writeFileSync(log, open1 + longLine + open2);
    const last = cli(['last', '--json', '--input', log], env);
    expect(last.status).toBe(0);
    expect(last.stderr).toBe(`logsphere: skipped 1 malformed line in ${log}\n`);
    expect((JSON.parse(last.stdout) as Array<{ user: string }>).map((s) => s.user)).toEqual(['bob', 'alice']);
    // Through the sessions checkpoint, twice: the second call reads nothing again.
    for (const warning of [`logsphere: skipped 1 malformed line in ${log}\n`, '']) {
      const sessions = cli(['sessions', '--json'], env);
      expect(sessions.status).toBe(0);
      expect(sessions.stderr).toBe(warning);
      expect((JSON.parse(sessions.stdout) as Array<{ user: string }>).map((s) => s.user).sort()).toEqual(['alice', 'bob']);
    }
  });

  it('logsphere follow puts out both records, the second appended after the long line while it follows', async () => {
    const env = setup();
    const log = `${dir}/log/sessions.jsonl`;
    writeFileSync(log, open1 + longLine + open2);
    const once = cli(['follow', '--from-start', '--once', '--input', `${dir}/log`], env);
    expect(once.status).toBe(0);
    expect(once.stdout).toBe(open1 + open2);
    expect(once.stderr).toBe(`logsphere: skipped 1 malformed line in ${log} (1 in all)\n`);

    writeFileSync(log, open1);
    const child = spawn(nodePath, [cliBundle, 'follow', '--from-start', '--input', `${dir}/log`], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    try {
      await waitFor('the first record', () => (out === open1 ? true : null));
      appendFileSync(log, longLine.slice(0, 5 << 20)); // the long line, half written
      appendFileSync(log, longLine.slice(5 << 20) + open2);
      await waitFor('the record after the long line', () => (out.length > open1.length ? true : null), 30_000);
      expect(out).toBe(open1 + open2);
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
    expect(err).toBe(`logsphere: skipped 1 malformed line in ${log} (1 in all)\n`);
  });

  it('logsphere watch evaluates both records: the two failures raise their alert', async () => {
    const env = setup();
    const log = `${dir}/log/sessions.jsonl`;
    writeFileSync(log, fail1 + longLine + fail2);
    const once = cli(['watch', '--rules', `${dir}/rules.json`, '--from-start', '--once', '--input', log], env);
    expect(once.status).toBe(0);
    expect(once.stdout.split('\n').filter((l) => l !== '').map((l) => (JSON.parse(l) as { rule: string }).rule)).toEqual(['failures_by_rhost']);
    expect(once.stderr).toContain(`logsphere: skipped 1 malformed line in ${log} (1 in all)\n`);

    // Following: the log as it is (now read) learned, then the same again appended.
    const w = startWatch(['--rules', `${dir}/rules.json`], { ...env, LOGSPHERE_STATE_DIR: `${dir}/run` });
    running.push(w);
    await waitFor('the first checkpoint', () => (existsSync(`${dir}/run/watch.checkpoint.json`) ? true : null));
    const later = (line: string) => line.replace(/"ts":"2026-11-20T10:/, '"ts":"2026-11-20T11:').replace(/"event_id":"(.)/, '"event_id":"f');
    appendFileSync(log, later(fail1) + longLine + later(fail2));
    const alerts = await w.waitAlerts(1);
    expect(alerts.map((a) => [a['rule'], a['rhost']])).toEqual([['failures_by_rhost', '192.0.2.9']]);
    expect(await w.stop('SIGTERM')).toBe(0);
    expect(w.stderr()).toContain(`logsphere: skipped 1 malformed line in ${log} (1 in all)\n`);
  });
});

const noTime = missing({ commands: ['/usr/bin/time'] });

describe.skipIf(noTime)('a gzip bomb: 2 GiB of zeros in a .jsonl.gz', () => {
  let bombDir = '';
  let bomb = '';
  const env = () => ({ LOGSPHERE_LOG_DIR: bombDir, LOGSPHERE_STATE_DIR: `${bombDir}-state`, LOGSPHERE_RUN_DIR: `${bombDir}-run`, LOGSPHERE_CONFIG: '/dev/null', TZ: 'UTC', PATH: '/usr/bin:/bin' });
  /** Runs the CLI under GNU time: its status, stdout, stderr without time's line, and peak RSS in MB. */
  const measured = (args: string[]) => {
    const r = spawnSync('/usr/bin/time', ['-q', '-f', '%M', nodePath, cliBundle, ...args], { env: env(), encoding: 'utf8', maxBuffer: 1 << 26 });
    const lines = r.stderr.trimEnd().split('\n');
    const kb = Number(lines.pop());
    return { status: r.status, stdout: r.stdout, stderr: lines.map((l) => `${l}\n`).join(''), rssMB: kb / 1024 };
  };
  /** Peak memory allowed: the bomb's content is 2 GiB, its limit a tenth of that. */
  const maxRssMB = 300;

  beforeAll(async () => {
    bombDir = mkdtempSync(`${tmpdir()}/ls-gzip-bomb-`);
    bomb = `${bombDir}/sessions.jsonl.1.gz`;
    await gzipBomb(bomb, 2048);
    writeFileSync(`${bombDir}/sessions.jsonl`, open1);
  }, 120_000);
  afterAll(() => {
    for (const d of [bombDir, `${bombDir}-state`, `${bombDir}-run`]) rmSync(d, { recursive: true, force: true });
  });

  it('logsphere last refuses it naming the file, answers from the rest, exits 1, in bounded memory', () => {
    const limit = decompressedLimit(statSync(bomb).size);
    expect(limit).toBeLessThan(1 << 30);
    const refused = `logsphere: Cannot read ${bomb}: decompressed size exceeds ${limit} bytes; the records before the damage were read\n`;
    const r = measured(['last', '--json', '--input', bomb]);
    expect(r.status).toBe(1);
    expect(r.stdout).toBe('[]\n');
    expect(r.stderr).toBe(refused);
    expect(r.rssMB).toBeLessThan(maxRssMB);
    // As a segment of the log directory, through the sessions checkpoint too: the live file answered.
    const sessions = measured(['sessions', '--json']);
    expect(sessions.status).toBe(1);
    expect((JSON.parse(sessions.stdout) as Array<{ user: string }>).map((s) => s.user)).toEqual(['alice']);
    expect(sessions.stderr).toBe(refused);
    expect(sessions.rssMB).toBeLessThan(maxRssMB);
  });

  it('logsphere follow warns, skips it and goes on with the next file, in bounded memory', () => {
    const limit = decompressedLimit(statSync(bomb).size);
    const r = measured(['follow', '--from-start', '--once', '--input', bombDir]);
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(open1);
    expect(r.stderr).toBe(`logsphere: cannot read ${bomb}: decompressed size exceeds ${limit} bytes; skipped the rest of it\n`);
    expect(r.rssMB).toBeLessThan(maxRssMB);
  });
});
