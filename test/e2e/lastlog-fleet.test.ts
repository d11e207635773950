// `lastlog --db` on a real PostgreSQL 15 (a private cluster, RECIPES.md): the store's own query of
// the latest logins answers as `lastlog --input` does on the same records, whatever order they
// were loaded in; user switches loaded after a login do not hide it, and an ssh login shows the
// pty of its close, named by session id or not.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run, type Process } from '../../src/cli/main.ts';
import * as build from '../../src/record/build.ts';
import { generateHistory, type GeneratedHistory } from '../helpers/log-history.ts';
import { pgBin, psqlPath, startPostgres, type Postgres } from '../helpers/postgres.ts';
import { missing } from '../helpers/require.ts';

const skip = missing({ root: true, commands: [`${pgBin}/initdb`, `${pgBin}/postgres`, psqlPath, '/usr/sbin/runuser'] });

let pg: Postgres | null = null;
let dir = '';
let generated: GeneratedHistory;
let now = 0;

/** The CLI in-process, as the host `relay` that collects the others' logs. */
async function cli(args: string[]): Promise<{ status: number; stdout: string; stderr: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const process: Process = {
    env: { LOGSPHERE_CONFIG: '/dev/null', LOGSPHERE_STATE_DIR: `${dir}/state`, LOGSPHERE_LOG_DIR: `${dir}/log`, LOGSPHERE_RUN_DIR: `${dir}/run`, LOGSPHERE_HOSTNAME: 'relay' },
    stdout: (text) => void out.push(typeof text === 'string' ? text : Buffer.from(text).toString()),
    stderr: (text) => void err.push(text),
    stdoutIsTerminal: false,
    onStopSignal: () => () => undefined,
  };
  const status = await run(args, process, now);
  return { status, stdout: out.join(''), stderr: err.join('') };
}

const url = () => (pg as Postgres).url('fleet');

beforeAll(async () => {
  if (skip) return;
  dir = mkdtempSync(`${tmpdir()}/ls-lastlog-fleet-`);
  for (const d of ['state', 'log', 'run', 'relay']) mkdirSync(`${dir}/${d}`);
  pg = await startPostgres();
  pg.sql('CREATE DATABASE fleet');
  generated = generateHistory({ sessions: 2500, seed: 17 });
  now = generated.end + 3_600e6;
  // The newest sessions: an ssh login of erin on web1, its close without a session id naming its
  // pty, and a sudo of hers after it.
  const web1 = { host: 'web1', boot_id: 'e1e1e1e1-0000-4000-8000-000000000001', source: 'pam' } as const;
  const erin = (service: string, tty: string): build.Login => ({ user: 'erin', uid: 1010, tty, rhost: service === 'sshd' ? '192.0.2.10' : null, ruser: null, service, pid: service === 'sshd' ? 9100 : 9101, pid_start: 5 });
  const opened = build.sessionOpen(web1, erin('sshd', 'ssh'), generated.end + 60e6);
  const extra = [opened, build.sessionOpen(web1, erin('sudo', 'pts/9'), generated.end + 120e6), build.sessionClose(web1, erin('sshd', 'ssh'), generated.end + 180e6, null, {}, 'pts/9')].map(build.toLine);
  const lines = [...generated.lines, ...extra];
  writeFileSync(`${dir}/whole.jsonl`, lines.join(''));
  // Loaded in batches, the newest first.
  const batches = Array.from({ length: 5 }, (_, k) => lines.filter((_, i) => i % 5 === k));
  batches.forEach((b, k) => writeFileSync(`${dir}/relay/batch-${k}.jsonl`, b.join('')));
  expect((await cli(['db', 'migrate', '--db', url()])).status).toBe(0);
  const shipped = await cli(['ship', '--once', '--db', url(), '--checkpoint', 'lastlog', ...batches.map((_, k) => ['--input', `${dir}/relay/batch-${4 - k}.jsonl`]).flat()]);
  expect(shipped.status, shipped.stderr).toBe(0);
}, 120_000);
afterAll(async () => {
  await pg?.remove();
  if (dir !== '') rmSync(dir, { recursive: true, force: true });
});

describe.skipIf(skip)('lastlog --db on a real PostgreSQL 15', () => {
  it.each([
    [[]],
    [['--json']],
    [['--host', 'db1']],
    [['--json', '-u', 'carol']],
    [['-u', '1001-1003', '--json']],
    [['-t', '3', '--json']],
    [['-b', '5']],
    [['-b', '2', '-t', '10', '--host', 'web2', '--json']],
    [['--accounts', '-u', '0-999']],
    [['-u', 'erin']],
  ])('answers %j as from the files', async (args) => {
    const fromFiles = await cli(['lastlog', ...args, '--input', `${dir}/whole.jsonl`]);
    const fromStore = await cli(['lastlog', ...args, '--db', url()]);
    expect([fromStore.status, fromStore.stderr]).toEqual([0, '']);
    expect(fromFiles.status).toBe(0);
    expect(fromStore.stdout).toBe(fromFiles.stdout);
  });

  it('answers with the logins of every host, a sudo after a login not hiding it, the pty from a close without a session id', async () => {
    const all = JSON.parse((await cli(['lastlog', '--json', '--db', url()])).stdout) as Array<{ user: string; host: string; tty: string | null; service: string }>;
    expect(new Set(all.map((l) => l.host))).toEqual(new Set(['web1', 'web2', 'db1', 'app1']));
    expect(all.every((l) => l.service === 'sshd' || l.service === 'login')).toBe(true);
    expect(all.find((l) => l.user === 'erin')).toMatchObject({ host: 'web1', tty: 'pts/9', service: 'sshd' });
    expect((await cli(['lastlog', '-u', 'erin', '--db', url()])).stdout).toMatch(/^Username +Port +From +Latest\nerin +pts\/9 +192\.0\.2\.10 +\w{3} \w{3} [ \d]\d \d\d:\d\d:\d\d [+-]\d{4} 2026\n$/);
  });
});
