// `logsphere import logsphere-v2`: the older Python tracker's JSONL into logsphere/1.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validateAgainstSchema } from '../helpers/log.ts';
import { cliBundle, nodePath, requireBuilt } from '../helpers/paths.ts';

const dir = mkdtempSync(`${tmpdir()}/ls-v2-`);
const env = { TZ: 'UTC', LOGSPHERE_LOG_DIR: `${dir}/log`, LOGSPHERE_RUN_DIR: `${dir}/run`, LOGSPHERE_STATE_DIR: dir, LOGSPHERE_CONFIG: '/dev/null' };
const cli = (args: string[], input = '') => spawnSync(nodePath, [cliBundle, ...args], { encoding: 'utf8', env, input });

const A = '3F2504E0-4F89-11D3-9A0C-0305E82C3301';
const B = 'b6a1f0c2-8d4e-4f3a-9c1b-2e7d5a9f0c11';
const tracker = [
  { session_id: A, user: 'alice', tty: 'pts/0', login_time: '2024-03-30T22:15:00', logout_time: null },
  { session_id: B, user: 'bob', tty: 'tty1', login_time: '2024-03-31T09:00:00.250000', logout_time: null },
  { session_id: A, user: 'alice', tty: 'pts/0', login_time: null, logout_time: '2024-03-31T03:45:00' },
  { session_id: 'sess-42', user: 'carol', tty: null, login_time: '2024-04-01T08:00:00', logout_time: null },
  { session_id: 'sess-42', user: 'carol', tty: null, login_time: null, logout_time: '2024-04-01T08:30:00' },
].map((r) => JSON.stringify(r));
const text = [...tracker.slice(0, 2), '{"session_id": "x", "user": "zed"}', tracker[2], 'not json', ...tracker.slice(3), ''].join('\n');

describe('logsphere import logsphere-v2', () => {
  beforeAll(() => {
    requireBuilt();
    writeFileSync(`${dir}/tracker.jsonl`, text);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('converts local times of the named zone, keeps session ids, counts bad lines', () => {
    const r = cli(['import', 'logsphere-v2', `${dir}/tracker.jsonl`, '--tz', 'Europe/Berlin', '--host', 'old1']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toBe(`logsphere: skipped 2 malformed lines in ${dir}/tracker.jsonl\n`);
    const records = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
    for (const record of records) expect(validateAgainstSchema(record)).toBe(true);
    expect(records.map((x) => [x.event, x.session_id, x.user, x.ts, x.source])).toEqual([
      ['session_open', A.toLowerCase(), 'alice', '2024-03-30T21:15:00.000000Z', 'logsphere-v2'],
      ['session_open', B, 'bob', '2024-03-31T07:00:00.250000Z', 'logsphere-v2'],
      // across the DST change of that night: 03:45 is already summer time (UTC+2)
      ['session_close', A.toLowerCase(), 'alice', '2024-03-31T01:45:00.000000Z', 'logsphere-v2'],
      ['session_open', records[3].session_id, 'carol', '2024-04-01T06:00:00.000000Z', 'logsphere-v2'],
      ['session_close', records[3].session_id, 'carol', '2024-04-01T06:30:00.000000Z', 'logsphere-v2'],
    ]);
    expect(records[0].legacy_session_id).toBe(A);
    expect(records[3].legacy_session_id).toBe('sess-42');
    expect(records[2]).toMatchObject({ login_time: '2024-03-30T21:15:00.000000Z', duration_s: 16200 });
  });

  it('gives the same records on a second import, and sessions that last can show', () => {
    const args = ['import', 'logsphere-v2', `${dir}/tracker.jsonl`, '--tz', 'Europe/Berlin', '--host', 'old1'];
    const first = cli(args).stdout;
    expect(cli(args).stdout).toBe(first);
    const sessions = JSON.parse(cli(['last', '--json', '--input', '-'], first + first).stdout) as Array<Record<string, unknown>>;
    expect(sessions.map((s) => [s['user'], s['end']])).toEqual([['carol', 'logout'], ['bob', null], ['alice', 'logout']]);
  });

  it('refuses an unknown zone', () => {
    const r = cli(['import', 'logsphere-v2', `${dir}/tracker.jsonl`, '--tz', 'Mars/Olympus']);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('--tz: unknown time zone "Mars/Olympus"');
  });
});
