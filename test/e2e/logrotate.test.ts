// Coexisting with logrotate: the snippet in services/logrotate.d, run by the real logrotate in
// create mode while records are appended. The hold of its prerotate step keeps the writers off
// the file while it is renamed; a running `logsphere follow` puts out every record once, and
// `sessions`, `failed` and `last` read the numbered and compressed segments.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import * as build from '../../src/record/build.ts';
import { appendLines, type LogTarget } from '../../src/store/append.ts';
import { bootId } from '../../src/sys/host.ts';
import { processStartTicks } from '../../src/sys/processes.ts';
import { cliBundle, nodePath, repoRoot, requireBuilt } from '../helpers/paths.ts';
import { missing } from '../helpers/require.ts';
import { waitFor } from '../helpers/sshd.ts';
import { runCli } from '../helpers/watch.ts';

const logrotate = '/usr/sbin/logrotate';
const skip = missing({ commands: [logrotate] });
let dir = '';
const children: ChildProcess[] = [];
beforeAll(() => requireBuilt());
afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

describe.skipIf(skip)('the logrotate snippet', () => {
  it('rotates in create mode with the writers held off; follow, sessions, failed and last read every segment', async () => {
    dir = mkdtempSync(`${tmpdir()}/ls-logrotate-`);
    mkdirSync(`${dir}/log`, { mode: 0o750 });
    const env = { LOGSPHERE_LOG_DIR: `${dir}/log`, LOGSPHERE_RUN_DIR: `${dir}/run`, LOGSPHERE_STATE_DIR: `${dir}/state`, LOGSPHERE_CONFIG: '/dev/null', LOGSPHERE_MAX_BYTES: '0', LOGSPHERE_HOSTNAME: 'web1', PATH: '/usr/bin:/bin' };
    // The snippet as shipped, pointed at this test's log and bundle.
    const snippet = readFileSync(`${repoRoot}services/logrotate.d/logsphere`, 'utf8')
      .replaceAll('/var/log/logsphere', `${dir}/log`)
      .replaceAll('/usr/bin/node /usr/local/lib/logsphere/logsphere', `${nodePath} ${cliBundle}`)
      .replace('create 0640 root adm', 'create 0640 root root');
    expect(snippet).toContain('--hold-for "$PPID"');
    writeFileSync(`${dir}/logrotate.conf`, snippet, { mode: 0o644 });
    const rotate = () =>
      new Promise<string>((resolve) => {
        const child = spawn(logrotate, ['-f', '-v', '-s', `${dir}/logrotate.state`, `${dir}/logrotate.conf`], { env, stdio: ['ignore', 'pipe', 'pipe'] });
        let out = '';
        child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
        child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
        child.on('close', (status) => resolve(`${status}\n${out}`));
      });

    const target: LogTarget = { logDir: `${dir}/log`, logFile: `${dir}/log/sessions.jsonl`, runDir: `${dir}/run`, fsync: false, maxBytes: 0 };
    const origin = { host: 'web1', boot_id: bootId(), source: 'pam' } as const;
    let clock = Date.UTC(2026, 10, 21, 12) * 1000;
    // A session still open: this test's own process, opened before any rotation.
    const open = build.sessionOpen(origin, { user: 'alice', uid: 1000, tty: 'pts/1', rhost: '192.0.2.9', ruser: null, service: 'sshd', pid: process.pid, pid_start: processStartTicks(process.pid) ?? 0 }, clock);
    expect((await appendLines(target, [{ order: clock, id: open.event_id, line: build.toLine(open) }])).status).toBe('written');
    const written = [build.toLine(open).slice(0, -1)];

    const out = openSync(`${dir}/follow.jsonl`, 'a');
    const follower = spawn(nodePath, [cliBundle, 'follow', '--from-start', '--input', `${dir}/log`], { env, stdio: ['ignore', out, 'pipe'] });
    closeSync(out);
    children.push(follower);

    const runs: Array<Promise<string>> = [];
    for (let i = 0; i < 3000; i++) {
      clock += 1000;
      const failure = build.authFailure(origin, { user: `u${i % 20}`, uid: null, tty: 'ssh', rhost: `198.51.100.${i % 200}`, ruser: null, service: 'sshd', pid: 20_000 + i, pid_start: i }, clock);
      const result = await appendLines(target, [{ order: clock, id: failure.event_id, line: build.toLine(failure) }]);
      expect(result.status).toBe('written');
      written.push(build.toLine(failure).slice(0, -1));
      // logrotate runs while the appends go on: their writers wait for its hold to end.
      if (i % 600 === 300) runs.push(rotate());
      if (i % 600 === 500) for (const r of await Promise.all(runs.splice(0))) expect(r.startsWith('0\n'), r).toBe(true);
    }
    for (const r of await Promise.all(runs.splice(0))) expect(r.startsWith('0\n'), r).toBe(true);
    const names = readdirSync(`${dir}/log`).sort();
    expect(names).toEqual(['sessions.jsonl', 'sessions.jsonl.1', 'sessions.jsonl.2.gz', 'sessions.jsonl.3.gz', 'sessions.jsonl.4.gz', 'sessions.jsonl.5.gz']);
    expect(existsSync(`${dir}/run/rotating`)).toBe(false);

    // The follower saw every record once, in order.
    const lines = () => readFileSync(`${dir}/follow.jsonl`, 'utf8').split('\n').slice(0, -1);
    await waitFor('the follower to catch up', () => (lines().length >= written.length ? true : null), 60_000);
    expect(lines()).toEqual(written);

    // The queries read the numbered and compressed segments with the live file.
    const sessions = await runCli(['sessions', '--json'], env);
    expect(sessions.status, sessions.stderr).toBe(0);
    expect((JSON.parse(sessions.stdout) as Array<{ session_id: string }>).map((s) => s.session_id)).toEqual([open.session_id]);
    const failed = await runCli(['failed', '--json', '--since', '2026-11-21T00:00:00Z'], env);
    expect(failed.status, failed.stderr).toBe(0);
    expect(JSON.parse(failed.stdout)).toHaveLength(3000);
    const last = await runCli(['last', '--json'], env);
    expect((JSON.parse(last.stdout) as Array<{ session_id: string; end: string | null }>).map((s) => [s.session_id, s.end])).toEqual([[open.session_id, null]]);

    // Without the hold a writer would not wait: the hold is really taken (and refused twice).
    const held = spawnSync(nodePath, [cliBundle, 'rotate', '--hold-for', String(process.pid)], { env, encoding: 'utf8' });
    expect(held.status, held.stderr).toBe(0);
    expect(readFileSync(`${dir}/run/rotating`, 'utf8')).toBe(`${process.pid}-${processStartTicks(process.pid)}`);
    const again = spawnSync(nodePath, [cliBundle, 'rotate', '--hold-for', String(process.pid)], { env, encoding: 'utf8' });
    expect(again.status).toBe(1);
    expect(again.stderr).toMatch(/another rotation is under way/);
    const released = spawnSync(nodePath, [cliBundle, 'rotate', '--release-for', String(process.pid)], { env, encoding: 'utf8' });
    expect(released.status, released.stderr).toBe(0);
    expect(existsSync(`${dir}/run/rotating`)).toBe(false);
  }, 300_000);
});
