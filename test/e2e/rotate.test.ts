// logsphere rotate as the timer runs it: rotation by size or --now, compression of rotated
// segments (mode, owner and modification time kept), retention that keeps a segment holding the
// start of a session still open; sessions and last read across all of it.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { gunzipSync } from 'node:zlib';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import * as build from '../../src/record/build.ts';
import { bootId } from '../../src/sys/host.ts';
import { processStartTicks } from '../../src/sys/processes.ts';
import { requireBuilt } from '../helpers/paths.ts';
import { runCli } from '../helpers/watch.ts';

let dir = '';
beforeAll(() => requireBuilt());
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const day = 86_400_000;

describe('logsphere rotate', () => {
  it('compresses segments, removes old ones but those starting open sessions, rotates by size or --now', async () => {
    dir = mkdtempSync(`${tmpdir()}/ls-rotate-`);
    mkdirSync(`${dir}/log`, { mode: 0o750 });
    const env = { LOGSPHERE_LOG_DIR: `${dir}/log`, LOGSPHERE_RUN_DIR: `${dir}/run`, LOGSPHERE_STATE_DIR: `${dir}/state`, LOGSPHERE_CONFIG: '/dev/null', LOGSPHERE_HOSTNAME: 'web1', LOGSPHERE_KEEP_DAYS: '30', LOGSPHERE_MAX_BYTES: '4096' };
    const origin = { host: 'web1', boot_id: bootId(), source: 'pam' } as const;
    const now = Date.now();
    const login = (user: string, pid: number, pidStart: number): build.Login => ({ user, uid: 1000, tty: 'pts/3', rhost: '192.0.2.4', ruser: null, service: 'sshd', pid, pid_start: pidStart });
    // Still open: this test's own process logged in 400 days ago.
    const stillOpen = build.sessionOpen(origin, login('alice', process.pid, processStartTicks(process.pid) ?? 0), (now - 400 * day) * 1000);
    const closedOpen = build.sessionOpen(origin, login('bob', 4242, 1), (now - 401 * day) * 1000);
    const closed = build.sessionClose(origin, login('bob', 4242, 1), (now - 400 * day) * 1000, closedOpen);
    const recent = build.authFailure(origin, login('carol', 5151, 2), (now - 2 * day) * 1000);
    const put = (name: string, text: string, ageDays: number) => {
      writeFileSync(`${dir}/log/${name}`, text, { mode: 0o640 });
      const t = new Date(now - ageDays * day);
      utimesSync(`${dir}/log/${name}`, t, t);
    };
    put('sessions-20250101T000000Z.jsonl', build.toLine(stillOpen), 400);
    put('sessions-20250102T000000Z.jsonl', build.toLine(closedOpen) + build.toLine(closed), 399);
    put('sessions-20261119T000000Z.jsonl', build.toLine(recent), 2);
    put('sessions.jsonl', '', 0);

    const first = await runCli(['rotate'], env);
    expect(first.status, first.stderr).toBe(0);
    expect(first.stdout.split('\n').filter(Boolean)).toEqual([
      expect.stringMatching(/^compressed sessions-20250101T000000Z\.jsonl \(\d+ bytes\) to sessions-20250101T000000Z\.jsonl\.gz \(\d+ bytes\)$/),
      expect.stringMatching(/^compressed sessions-20250102T000000Z\.jsonl /),
      expect.stringMatching(/^compressed sessions-20261119T000000Z\.jsonl /),
      expect.stringMatching(/^removed sessions-20250102T000000Z\.jsonl\.gz \(last written \S+, more than 30 days ago\)$/),
      'kept sessions-20250101T000000Z.jsonl.gz past 30 days: it holds the start of a session still open',
    ]);
    expect(readdirSync(`${dir}/log`).sort()).toEqual(['sessions-20250101T000000Z.jsonl.gz', 'sessions-20261119T000000Z.jsonl.gz', 'sessions.jsonl']);
    const gz = `${dir}/log/sessions-20261119T000000Z.jsonl.gz`;
    expect(gunzipSync(readFileSync(gz)).toString()).toBe(build.toLine(recent));
    expect(statSync(gz).mode & 0o777).toBe(0o640);
    expect(Math.abs(statSync(gz).mtimeMs - (now - 2 * day))).toBeLessThan(1000);

    // The open session is still current, read from the compressed segment.
    const sessions = await runCli(['sessions', '--json'], env);
    expect((JSON.parse(sessions.stdout) as Array<{ session_id: string }>).map((s) => s.session_id)).toEqual([stillOpen.session_id]);

    // By size: under LOGSPHERE_MAX_BYTES nothing happens; at it, the log is renamed and a new one made.
    writeFileSync(`${dir}/log/sessions.jsonl`, build.toLine(recent));
    expect((await runCli(['rotate'], env)).stdout).toBe('kept sessions-20250101T000000Z.jsonl.gz past 30 days: it holds the start of a session still open\n');
    writeFileSync(`${dir}/log/sessions.jsonl`, build.toLine(recent).repeat(20));
    const bySize = await runCli(['rotate', '--no-compress'], env);
    expect(bySize.stdout).toMatch(/^rotated sessions\.jsonl to sessions-\d{8}T\d{6}Z\.jsonl \(\d+ bytes\)\n/);
    expect(statSync(`${dir}/log/sessions.jsonl`).size).toBe(0);
    expect(statSync(`${dir}/log/sessions.jsonl`).mode & 0o777).toBe(0o640);
    // --now: whatever the size, when not empty; a second rotation in the same second gets -1.
    writeFileSync(`${dir}/log/sessions.jsonl`, build.toLine(recent));
    const forced = await runCli(['rotate', '--now', '--no-compress'], env);
    expect(forced.stdout).toMatch(/^rotated sessions\.jsonl to sessions-\d{8}T\d{6}Z(-1)?\.jsonl/);
    expect((await runCli(['rotate', '--now'], env)).stdout).not.toMatch(/^rotated/m); // empty: nothing to rotate
    expect(existsSync(`${dir}/run/rotating`)).toBe(false);

    const last = await runCli(['last', '--json'], env);
    expect((JSON.parse(last.stdout) as unknown[]).length).toBe(1);
    const usage = await runCli(['rotate', '--hold-for', 'x'], env);
    expect(usage.status).toBe(2);
  });
});
