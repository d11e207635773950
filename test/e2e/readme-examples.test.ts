// Every `logsphere …` example in README.md and docs/, run as written against a small log: none may
// be refused as a usage error or fail. Paths the examples name on a real host (/var/log/wtmp,
// /var/log/auth.log, …) are given files of the same kind here; long-running examples (a live
// watch or follow) run until they are visibly at work, then are stopped as systemd stops them.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as build from '../../src/record/build.ts';
import { cliBundle, nodePath, repoRoot, requireBuilt } from '../helpers/paths.ts';
import { havePostgres, startPostgres, type Postgres } from '../helpers/postgres.ts';
import { missing } from '../helpers/require.ts';
import { waitFor } from '../helpers/sshd.ts';

interface Example {
  file: string;
  line: string;
  args: string[];
  /** `>> FILE`: standard output appended to FILE. */
  appendTo: string | null;
}

/** Splits a shell command line (plain words, '…' and "…" quoting, no expansions). */
function shellWords(line: string): string[] {
  const words: string[] = [];
  const re = /'([^']*)'|"((?:[^"\\]|\\.)*)"|(\S+)/g;
  for (let m = re.exec(line); m !== null; m = re.exec(line)) {
    words.push(m[1] ?? (m[2] !== undefined ? m[2].replace(/\\(.)/g, '$1') : (m[3] ?? '')));
  }
  return words;
}

/** The `logsphere …` lines of the fenced code blocks of a Markdown file. */
function examplesIn(path: string): Example[] {
  const examples: Example[] = [];
  let fenced = false;
  for (const raw of readFileSync(path, 'utf8').split('\n')) {
    if (raw.startsWith('```')) {
      fenced = !fenced;
      continue;
    }
    const line = raw.replace(/^\$ /, '').replace(/^sudo (-u \S+ )?/, '');
    if (!fenced || !line.startsWith('logsphere ')) continue;
    const command = line.replace(/\s{2,}#.*$/, '').trim();
    const append = /\s>>\s*(\S+)$/.exec(command);
    const words = shellWords(append ? command.slice(0, append.index) : command).slice(1);
    examples.push({ file: path.slice(repoRoot.length), line: command, args: words, appendTo: append?.[1] ?? null });
  }
  return examples;
}

const docs = [`${repoRoot}README.md`, ...readdirSync(`${repoRoot}docs`).filter((f) => f.endsWith('.md')).map((f) => `${repoRoot}docs/${f}`)];
const examples = docs.flatMap(examplesIn);

const lacking = missing({ commands: ['/usr/bin/utmpdump'] });
/** The fleet store's examples run against a private PostgreSQL; without one (and not required) they are left out. */
const fleetExample = (e: Example) => e.args[0] === 'ship' || e.args[0] === 'db' || e.args.some((a) => a === '--db' || a.startsWith('--db='));
const noPostgres = examples.some(fleetExample) ? missing({ root: true, commands: ['/usr/lib/postgresql/15/bin/initdb', '/usr/bin/psql'] }) : null;
let pg: Postgres | null = null;
let dir = '';
let env: Record<string, string> = {};
/** Where the paths the examples name point here. */
let paths: Map<string, string>;

const t = (iso: string) => Date.parse(iso) * 1000;

beforeAll(async () => {
  requireBuilt();
  dir = mkdtempSync(`${tmpdir()}/ls-readme-`);
  if (noPostgres === null && havePostgres() && examples.some(fleetExample)) {
    pg = await startPostgres();
    pg.sql('CREATE DATABASE fleet');
  }
  for (const d of ['log', 'state', 'run', 'home', 'work']) mkdirSync(`${dir}/${d}`);
  // A host elsewhere (nothing of it runs here): a boot, alice's closed and open sessions, root
  // failing from one remote host five times and then logging in.
  const origin = { host: 'web1.example.net', boot_id: 'b7d1f3c2-0000-4000-8000-000000000001', source: 'pam' } as const;
  const login = (user: string, tty: string, rhost: string | null): build.Login => ({ user, uid: user === 'root' ? 0 : 1000, tty, rhost, ruser: null, service: 'sshd', pid: 4242, pid_start: 7 });
  const now = Date.now() * 1000;
  const hour = 3600e6;
  const opened = build.sessionOpen(origin, login('alice', 'pts/1', '203.0.113.7'), now - 30 * hour);
  const records = [
    build.boot({ ...origin, source: 'systemd' }, now - 48 * hour, '6.1.0', now - 48 * hour),
    opened,
    build.sessionClose(origin, login('alice', 'pts/1', '203.0.113.7'), now - 29 * hour, opened),
    ...Array.from({ length: 5 }, (_, i) => build.authFailure(origin, login('root', 'ssh', '198.51.100.9'), now - 3 * hour + i * 1e6)),
    build.sessionOpen(origin, { ...login('alice', 'pts/2', '203.0.113.7'), pid: 4343 }, now - 2 * hour),
    build.sessionOpen(origin, { ...login('root', 'pts/3', null), service: 'sudo', pid: 4444 }, now - hour),
  ];
  writeFileSync(`${dir}/log/sessions.jsonl`, records.map(build.toLine).join(''));
  // The files of a real host: a wtmp (utmpdump -r) and an auth.log with a rotated, compressed copy.
  const row = (type: number, pid: number, id: string, user: string, line: string, host: string, time: string) =>
    `[${type}] [${String(pid).padStart(5, '0')}] [${id.padEnd(4)}] [${user.padEnd(8)}] [${line.padEnd(12)}] [${host.padEnd(20)}] [${host === '' ? '0.0.0.0' : host}] [${time},000000+00:00]\n`;
  const wtmp = spawnSync('utmpdump', ['-r'], { input: row(2, 0, '~~', 'reboot', '~', '6.1.0', '2026-11-01T08:00:00') + row(7, 100, 'ts/1', 'alice', 'pts/1', '203.0.113.7', '2026-11-01T09:00:00') });
  writeFileSync(`${dir}/wtmp`, wtmp.stdout);
  const authlog = 'Nov 20 10:00:01 web1 sshd[900]: Failed password for root from 198.51.100.9 port 4100 ssh2\n';
  writeFileSync(`${dir}/auth.log`, authlog);
  writeFileSync(`${dir}/auth.log.2.gz`, gzipSync(authlog));
  paths = new Map([
    ['/var/log/wtmp', `${dir}/wtmp`],
    ['/var/log/auth.log', `${dir}/auth.log`],
    ['/var/log/auth.log.2.gz', `${dir}/auth.log.2.gz`],
    ['/var/log/logsphere', `${dir}/log`],
    ['/var/log/logsphere-ecs.ndjson', `${dir}/work/ecs.ndjson`],
    ['/srv/relay/', `${dir}/log/`],
    ['/var/lib/logsphere/fleet.html', `${dir}/work/fleet.html`],
  ]);
  if (pg !== null) paths.set('postgresql:///fleet?host=/var/run/postgresql', pg.url('fleet'));
  env = {
    PATH: '/usr/bin:/bin', HOME: `${dir}/home`, TZ: 'UTC', LOGSPHERE_CONFIG: '/dev/null',
    LOGSPHERE_LOG_DIR: `${dir}/log`, LOGSPHERE_STATE_DIR: `${dir}/state`, LOGSPHERE_RUN_DIR: `${dir}/run`,
    ...(pg !== null ? { LOGSPHERE_DATABASE_URL: pg.url('fleet') } : {}),
  };
}, 60_000);
afterAll(async () => {
  await pg?.remove();
  rmSync(dir, { recursive: true, force: true });
});

/** An example as it runs here: paths of a real host replaced by this test's files. */
const localArgs = (e: Example) => e.args.map((a) => paths.get(a) ?? a);

/** Long-running examples: what shows they are at work. */
function atWork(e: Example): ((out: { stdout: string; stderr: string }) => boolean) | null {
  const [command, ...rest] = e.args;
  if (command === 'watch' && !rest.includes('--once') && !rest.includes('--check')) return (o) => o.stderr.includes('alerting on what is appended');
  if (command === 'follow' && !rest.includes('--once')) {
    if (rest.includes('--checkpoint')) return () => readdirSync(`${dir}/state`).some((f) => f.startsWith('follow-'));
    return (o) => o.stdout.split('\n').length > 5;
  }
  return null;
}

describe.skipIf(lacking)('the examples of README.md and docs/', () => {
  it('are there to run', () => {
    expect(examples.length).toBeGreaterThan(20);
    expect(examples.map((e) => e.args[0])).toEqual(expect.arrayContaining(['sessions', 'last', 'failed', 'report', 'watch', 'follow', 'import', 'doctor']));
  });

  it.each(examples.map((e) => [`${e.file}: ${e.line}`, e] as const))('%s', async (_name, e) => {
    if (fleetExample(e) && pg === null) return; // no PostgreSQL here, and none required
    const args = localArgs(e);
    const waiting = atWork(e);
    let result: { status: number | null; stdout: string; stderr: string };
    if (waiting === null) {
      const r = spawnSync(nodePath, [cliBundle, ...args], { encoding: 'utf8', env, cwd: `${dir}/work`, timeout: 60_000 });
      result = { status: r.status, stdout: r.stdout, stderr: r.stderr };
    } else {
      const child = spawn(nodePath, [cliBundle, ...args], { env, cwd: `${dir}/work`, stdio: ['ignore', 'pipe', 'pipe'] });
      const out = { stdout: '', stderr: '' };
      child.stdout.on('data', (d: Buffer) => (out.stdout += d.toString()));
      child.stderr.on('data', (d: Buffer) => (out.stderr += d.toString()));
      const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
      await waitFor(`${e.line} to be at work`, () => (waiting(out) || child.exitCode !== null ? true : null), 30_000);
      child.kill('SIGTERM');
      result = { status: await exited, ...out };
    }
    if (e.appendTo !== null) writeFileSync(paths.get(e.appendTo) ?? `${dir}/work/out`, result.stdout, { flag: 'a' });
    const context = `${e.line}\n${result.stderr}`;
    expect(result.stderr, context).not.toContain("Try 'logsphere");
    // doctor checks this test host, where LogSphere is not installed: its failures are answers.
    if (e.args[0] === 'doctor') expect(result.stdout, context).toMatch(/^(OK|WARN|FAIL) /m);
    else expect(result.status, context).toBe(0);
  });

  it('leave what they say they write', () => {
    expect(readFileSync(`${dir}/work/report.html`, 'utf8')).toContain('<html');
    expect(readFileSync(`${dir}/work/imported.jsonl`, 'utf8')).toContain('"event":"auth_failure"');
    expect(existsSync(`${dir}/state/follow-siem.json`)).toBe(true);
  });
});
