// logsphere follow as a process: killed with SIGKILL at random points and started again from its
// checkpoint while the writer appends and rotates the log and logsphere rotate compresses
// segments; its output file ends up holding every record once, in the order written.
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, readdirSync, readlinkSync, rmSync, truncateSync, watch, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { gzipSync } from 'node:zlib';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import * as build from '../../src/record/build.ts';
import { appendLines, type LogTarget } from '../../src/store/append.ts';
import { cliBundle, nodePath, requireBuilt } from '../helpers/paths.ts';
import { waitFor } from '../helpers/sshd.ts';
import { runCli } from '../helpers/watch.ts';

let dir = '';
const children: ChildProcess[] = [];
beforeAll(() => requireBuilt());
afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

let seed = 7;
const random = (n: number) => {
  seed = (seed * 1103515245 + 12345) % 2 ** 31;
  return seed % n;
};

const origin = { host: 'web1', boot_id: '00000000-0000-4000-8000-000000000001', source: 'pam' } as const;
let clock = Date.UTC(2026, 10, 21, 9) * 1000;

/** A record with hostile values now and then: escapes, C1 controls, long strings. */
function nextLine(i: number): { line: string; id: string } {
  clock += 1_000_000;
  const user = i % 17 === 0 ? `evil\u001b[31m\u009b${'x'.repeat(200)}` : `user${i % 13}`;
  const login: build.Login = { user, uid: i % 5 === 0 ? null : 1000 + (i % 13), tty: `pts/${i % 40}`, rhost: i % 3 === 0 ? '2001:db8::7' : `192.0.2.${i % 250}`, ruser: null, service: 'sshd', pid: 5000 + i, pid_start: i };
  const record = i % 4 === 0 ? build.authFailure(origin, login, clock) : build.sessionOpen(origin, login, clock);
  return { line: build.toLine(record), id: record.event_id };
}

const lines = (path: string) => (existsSync(path) ? readFileSync(path, 'utf8').split('\n').filter((l) => l !== '') : []);

describe('logsphere follow --checkpoint', () => {
  it('killed with SIGKILL 20 times while the log grows and rotates, puts out every record once, in order', async () => {
    dir = mkdtempSync(`${tmpdir()}/ls-follow-`);
    mkdirSync(`${dir}/log`);
    const target: LogTarget = { logDir: `${dir}/log`, logFile: `${dir}/log/sessions.jsonl`, runDir: `${dir}/run`, fsync: false, maxBytes: 262144 };
    const env = { LOGSPHERE_LOG_DIR: `${dir}/log`, LOGSPHERE_STATE_DIR: `${dir}/state`, LOGSPHERE_RUN_DIR: `${dir}/run`, LOGSPHERE_CONFIG: '/dev/null', LOGSPHERE_MAX_BYTES: '262144', LOGSPHERE_KEEP_DAYS: '0', PATH: '/usr/bin:/bin' };
    const output = `${dir}/out.jsonl`;
    const written: string[] = [];
    let n = 0;
    /** Appends `count` records through the writer, in batches of 1-200 lines (one write each). */
    const append = async (count: number) => {
      while (count > 0) {
        const size = Math.min(count, 1 + random(200));
        const batch = Array.from({ length: size }, () => nextLine(n++));
        const result = await appendLines(target, batch.map((b) => ({ order: clock, id: b.id, line: b.line })));
        expect(result.status).toBe('written');
        for (const b of batch) written.push(b.line.slice(0, -1));
        count -= size;
      }
    };
    const start = () => {
      const out = openSync(output, 'a');
      const child = spawn(nodePath, [cliBundle, 'follow', '--checkpoint', 'ship', '--from-start', '--input', `${dir}/log`], { env, stdio: ['ignore', out, 'pipe'] });
      closeSync(out);
      children.push(child);
      return child;
    };
    const killAfter = (child: ChildProcess, ms: number) =>
      new Promise<void>((resolve) => {
        // Fault injection at a random moment (not synchronisation): the assertions hold whenever it lands.
        setTimeout(() => {
          if (child.exitCode !== null || child.signalCode !== null) resolve();
          else {
            child.on('exit', () => resolve());
            child.kill('SIGKILL');
          }
        }, ms);
      });

    /** Kills as soon as the output file grows: between a batch put out and its checkpoint saved. */
    const killOnOutput = (child: ChildProcess) =>
      new Promise<void>((resolve) => {
        const watcher = watch(output, () => {
          watcher.close();
          child.kill('SIGKILL');
        });
        child.on('exit', () => {
          watcher.close();
          resolve();
        });
      });

    await append(3000);
    for (let round = 0; round < 20; round++) {
      const child = start();
      // Appending while it runs; killed right after it puts out a batch, or at a random moment.
      const adding = append(1000 + random(3000));
      await (round % 2 === 0 ? killOnOutput(child) : killAfter(child, random(round % 4 === 3 ? 5 : 400)));
      await adding;
      expect(child.signalCode).toBe('SIGKILL');
      if (round % 5 === 4) {
        const rotated = await runCli(['rotate'], env);
        expect(rotated.status, rotated.stderr).toBe(0);
      }
    }
    const segments = readdirSync(`${dir}/log`);
    expect(segments.filter((s) => s.endsWith('.jsonl.gz')).length).toBeGreaterThan(3);
    expect(segments.filter((s) => /^sessions-\d{8}T\d{6}Z(-\d+)?\.jsonl(\.gz)?$/.test(s)).length).toBeGreaterThan(10);

    // The last run reads to the end and stops.
    const out = openSync(output, 'a');
    const last = spawn(nodePath, [cliBundle, 'follow', '--checkpoint', 'ship', '--once', '--input', `${dir}/log`], { env, stdio: ['ignore', out, 'pipe'] });
    closeSync(out);
    let stderr = '';
    last.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    await new Promise((resolve) => last.on('close', resolve));
    expect(last.exitCode, stderr).toBe(0);
    const got = lines(output);
    expect(got.length).toBe(written.length);
    expect(got).toEqual(written);
    const checkpoint = JSON.parse(readFileSync(`${dir}/state/follow-ship.json`, 'utf8')) as { records: number; lastEventId: string };
    expect(checkpoint.records).toBe(written.length);
    expect(checkpoint.lastEventId).toBe((JSON.parse(written[written.length - 1] as string) as { event_id: string }).event_id);
  }, 300_000);

  it('starts at the end without --from-start, reads a truncated log again, and maps to ECS and OpenTelemetry', async () => {
    dir = mkdtempSync(`${tmpdir()}/ls-follow-`);
    mkdirSync(`${dir}/log`);
    const target: LogTarget = { logDir: `${dir}/log`, logFile: `${dir}/log/sessions.jsonl`, runDir: `${dir}/run`, fsync: false, maxBytes: 0 };
    const env = { LOGSPHERE_LOG_DIR: `${dir}/log`, LOGSPHERE_STATE_DIR: `${dir}/state`, LOGSPHERE_RUN_DIR: `${dir}/run`, LOGSPHERE_CONFIG: '/dev/null', PATH: '/usr/bin:/bin' };
    const put = async (count: number) => {
      const batch = Array.from({ length: count }, (_, i) => nextLine(1000 + i));
      await appendLines(target, batch.map((b) => ({ order: 1, id: b.id, line: b.line })));
      return batch;
    };
    await put(3); // before the follower starts: not printed
    const child = spawn(nodePath, [cliBundle, 'follow', '--format', 'ecs'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(child);
    let out = '';
    let err = '';
    child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (err += d.toString()));
    const docs = () => out.split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as { event: { id: string; action: string } });
    // Started once it has opened the log: its file descriptors show it.
    await waitFor('follow to open the log', () => (readdirSync(`/proc/${child.pid}/fd`).some((fd) => { try { return readlinkSync(`/proc/${child.pid}/fd/${fd}`) === `${dir}/log/sessions.jsonl`; } catch { return false; } }) ? true : null));
    const second = await put(2);
    await waitFor('two ECS documents', () => (docs().length >= 2 ? true : null));
    expect(docs().map((d) => d.event.id)).toEqual(second.map((b) => b.id));
    // copytruncate-style truncation: read again from the start.
    truncateSync(`${dir}/log/sessions.jsonl`, 0);
    const third = await put(1);
    await waitFor('a third document', () => (docs().length >= 3 ? true : null));
    expect(docs().map((d) => d.event.id)).toEqual([...second, ...third].map((b) => b.id));
    expect(err).toBe('');
    child.kill('SIGTERM');
    await new Promise((resolve) => child.on('close', resolve));
    expect(child.exitCode).toBe(0);

    const otel = await runCli(['follow', '--from-start', '--once', '--format', 'otel'], env);
    expect(otel.status, otel.stderr).toBe(0);
    const records = otel.stdout.split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as { Attributes: Record<string, unknown>; Timestamp: string });
    expect(records.map((r) => r.Attributes['log.record.uid'])).toEqual(third.map((b) => b.id));
    const failed = await runCli(['failed', '--json', '--format', 'ecs'], env);
    expect(failed.status, failed.stderr).toBe(0);
    const failures = JSON.parse(failed.stdout) as Array<{ event: { action: string; outcome: string } }>;
    expect(failures.length).toBe(1) // the truncated log holds the last batch only;
    expect(failures.every((f) => f.event.action === 'user_login' && f.event.outcome === 'failure')).toBe(true);
  }, 60_000);
});

describe('logsphere follow as the README shows it', () => {
  it('--format otel --once puts out the whole log, rotated segments first, and stops; a missing input is an error naming it', async () => {
    dir = mkdtempSync(`${tmpdir()}/ls-follow-`);
    mkdirSync(`${dir}/log`);
    const env = { LOGSPHERE_LOG_DIR: `${dir}/log`, LOGSPHERE_STATE_DIR: `${dir}/state`, LOGSPHERE_RUN_DIR: `${dir}/run`, LOGSPHERE_CONFIG: '/dev/null', PATH: '/usr/bin:/bin' };
    const records = Array.from({ length: 9 }, (_, i) => nextLine(2000 + i));
    const text = (from: number, to: number) => records.slice(from, to).map((r) => r.line).join('');
    writeFileSync(`${dir}/log/sessions-20261121T080000Z.jsonl.gz`, gzipSync(text(0, 3)));
    writeFileSync(`${dir}/log/sessions-20261121T090000Z.jsonl`, text(3, 6));
    writeFileSync(`${dir}/log/sessions.jsonl`, text(6, 9));
    const otel = await runCli(['follow', '--format', 'otel', '--once'], env);
    expect(otel.status, otel.stderr).toBe(0);
    expect(otel.stderr).toBe('');
    const uids = otel.stdout.split('\n').filter((l) => l !== '').map((l) => (JSON.parse(l) as { Attributes: Record<string, unknown> }).Attributes['log.record.uid']);
    expect(uids).toEqual(records.map((r) => r.id));
    // --from-start --once is the same; so is a first run with a checkpoint.
    expect((await runCli(['follow', '--format', 'otel', '--from-start', '--once'], env)).stdout).toBe(otel.stdout);
    const raw = await runCli(['follow', '--once', '--checkpoint', 'once', '--input', `${dir}/log`], env);
    expect(raw.stdout).toBe(text(0, 9));
    expect((await runCli(['follow', '--once', '--checkpoint', 'once', '--input', `${dir}/log`], env)).stdout).toBe('');

    for (const args of [['--input', `${dir}/nonexistent`], ['--input', `${dir}/nonexistent`, '--once']]) {
      const missing = await runCli(['follow', ...args], env);
      expect(missing.status).toBe(1);
      expect(missing.stderr).toBe(`logsphere: Cannot read ${dir}/nonexistent: no such file or directory\n`);
    }
    // The configured log is waited for (the first login makes it): with --once, nothing yet.
    const none = await runCli(['follow', '--once'], { ...env, LOGSPHERE_LOG_DIR: `${dir}/no-log-dir` });
    expect(none.status, none.stderr).toBe(0);
    expect(none.stdout).toBe('');
  });
});
