// The query commands on a corpus of malformed input: every bad line counted and reported once,
// every good line used, exact output; stdin and gzip too; usage errors exit 2.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as build from '../../src/record/build.ts';
import { cliBundle, nodePath, requireBuilt } from '../helpers/paths.ts';

const dir = mkdtempSync(`${tmpdir()}/ls-cli-input-`);
const t0 = Date.UTC(2026, 10, 20, 9, 0, 0) * 1000;
const origin = { host: 'web1', boot_id: 'b-1', source: 'pam' } as const;
const login: build.Login = { user: 'alice', uid: 1000, tty: 'pts/1', rhost: '203.0.113.7', ruser: null, service: 'sshd', pid: 42, pid_start: 7 };
const open = build.sessionOpen(origin, login, t0);
const close = build.sessionClose(origin, login, t0 + 5_400_000_000, open);
const second = build.sessionOpen(origin, { ...login, user: 'bob', tty: 'pts/2' }, t0 + 60_000_000);
const good = [open, close, second].map((r) => JSON.stringify(r));

// Every case of DESIGN's reader rules, between good lines: 8 bad lines, 2 harmless ones.
const corpus = [
  good[0], '', '   ', `${good[1]}\r`, '{"schema":"logsphere/1","event_id":', '[1,2,3]', '"a string"',
  JSON.stringify({ ...second, pid: 'forty-two' }), JSON.stringify({ ...second, event: 'session_pause' }),
  JSON.stringify({ ...second, schema: 'logsphere/9' }), JSON.stringify({ ...second, extra: { kept: true } }),
  'not json at all', `{"torn":"last line`,
].join('\n');

const env = { LOGSPHERE_LOG_DIR: `${dir}/log`, LOGSPHERE_RUN_DIR: `${dir}/run`, LOGSPHERE_STATE_DIR: dir, LOGSPHERE_CONFIG: '/dev/null', TZ: 'UTC' };
const cli = (args: string[], input = '') => spawnSync(nodePath, [cliBundle, ...args], { encoding: 'utf8', env, input });

describe('query commands on malformed input', () => {
  beforeAll(() => {
    requireBuilt();
    writeFileSync(`${dir}/corpus.jsonl`, corpus);
    writeFileSync(`${dir}/corpus.jsonl.gz`, gzipSync(corpus));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('last uses every good line and reports the bad ones once', () => {
    const r = cli(['last', '--json', '--input', `${dir}/corpus.jsonl`]);
    expect(r.status).toBe(0);
    expect(r.stderr).toBe(`logsphere: skipped 8 malformed lines in ${dir}/corpus.jsonl\n`);
    expect(JSON.parse(r.stdout)).toEqual([
      { session_id: second.session_id, host: 'web1', user: 'bob', uid: 1000, tty: 'pts/2', pty: null, rhost: '203.0.113.7', service: 'sshd', kind: 'login', pid: 42, login_time: second.ts, logout_time: null, duration_s: null, end: null },
      { session_id: open.session_id, host: 'web1', user: 'alice', uid: 1000, tty: 'pts/1', pty: null, rhost: '203.0.113.7', service: 'sshd', kind: 'login', pid: 42, login_time: open.ts, logout_time: close.ts, duration_s: 5400, end: 'logout' },
    ]);
  });

  it('reads gzip and standard input the same way', () => {
    const gz = cli(['last', '--json', '--input', `${dir}/corpus.jsonl.gz`]);
    const stdin = cli(['last', '--json', '--input', '-'], corpus);
    expect(gz.stdout).toBe(cli(['last', '--json', '--input', `${dir}/corpus.jsonl`]).stdout);
    expect(stdin.stdout).toBe(gz.stdout);
    expect(stdin.stderr).toBe('logsphere: skipped 8 malformed lines in standard input\n');
  });

  it('prints last in the manner of util-linux last', () => {
    const r = cli(['last', '--input', `${dir}/corpus.jsonl`]);
    expect(r.stdout).toBe(
      'bob      pts/2        203.0.113.7      Fri Nov 20 09:01   still logged in\n' +
      'alice    pts/1        203.0.113.7      Fri Nov 20 09:00 - 10:30  (01:30)\n' +
      '\ncorpus.jsonl begins Fri Nov 20 09:00:00 2026\n',
    );
    expect(cli(['last', '-n', '1', '--time-format', 'iso', '--input', `${dir}/corpus.jsonl`]).stdout).toBe(
      'bob      pts/2        203.0.113.7      2026-11-20T09:01:00+00:00   still logged in\n' +
      '\ncorpus.jsonl begins 2026-11-20T09:00:00+00:00\n',
    );
  });

  it('fails with exit 1 naming an unreadable input, and 2 on usage errors', () => {
    const missing = cli(['last', '--input', `${dir}/nope.jsonl`]);
    expect(missing.status).toBe(1);
    expect(missing.stderr).toBe(`logsphere: Cannot read ${dir}/nope.jsonl: no such file or directory\n`);
    expect(cli(['last', '--since', 'whenever']).status).toBe(2);
    expect(cli(['sessions', '--by-user']).status).toBe(2);
    expect(cli(['frobnicate']).status).toBe(2);
  });
});
