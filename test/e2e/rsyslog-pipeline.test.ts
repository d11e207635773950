// The log shipped by a real collector: a private rsyslogd tails sessions.jsonl with imfile and
// forwards over TCP to a second private rsyslogd on loopback, which writes what it receives.
// 10,000 records go in while the writer rotates the log many times and logsphere rotate
// compresses segments; the lines received are the lines written, byte for byte, each once.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import * as build from '../../src/record/build.ts';
import { appendLines, type LogTarget } from '../../src/store/append.ts';
import { requireBuilt } from '../helpers/paths.ts';
import { missing } from '../helpers/require.ts';
import { freePort, rsyslogd, startRsyslog, type Rsyslog } from '../helpers/rsyslog.ts';
import { portOpen, waitFor } from '../helpers/sshd.ts';
import { runCli } from '../helpers/watch.ts';

const skip = missing({ commands: [rsyslogd] });
let dir = '';
const daemons: Rsyslog[] = [];
beforeAll(() => requireBuilt());
afterEach(async () => {
  for (const d of daemons.splice(0)) await d.stop();
  rmSync(dir, { recursive: true, force: true });
});

const origin = { host: 'web1', boot_id: '00000000-0000-4000-8000-000000000002', source: 'pam' } as const;

describe.skipIf(skip)('a real rsyslog pipeline (imfile → TCP → rsyslog)', () => {
  it('delivers 10,000 records across rotations byte for byte, none missing, none twice', async () => {
    dir = mkdtempSync(`${tmpdir()}/ls-rsyslog-`);
    mkdirSync(`${dir}/log`);
    const port = await freePort();
    const received = `${dir}/received.jsonl`;
    daemons.push(
      await startRsyslog(
        `${dir}/receiver`,
        [
          'module(load="imtcp")',
          `input(type="imtcp" address="127.0.0.1" port="${port}" ruleset="out")`,
          'template(name="msgonly" type="string" string="%msg%\\n")',
          `ruleset(name="out") { action(type="omfile" file="${received}" template="msgonly") }`,
        ],
        () => portOpen(port),
      ),
    );
    daemons.push(
      await startRsyslog(
        `${dir}/sender`,
        [
          'module(load="imfile" mode="inotify")',
          `input(type="imfile" file="${dir}/log/sessions.jsonl" tag="logsphere" ruleset="fwd" reopenOnTruncate="on")`,
          `ruleset(name="fwd") { action(type="omfwd" target="127.0.0.1" port="${port}" protocol="tcp" template="RSYSLOG_SyslogProtocol23Format" action.resumeRetryCount="-1" queue.type="LinkedList") }`,
        ],
        () => existsSync(`${dir}/sender/rsyslogd.pid`),
      ),
    );

    const target: LogTarget = { logDir: `${dir}/log`, logFile: `${dir}/log/sessions.jsonl`, runDir: `${dir}/run`, fsync: false, maxBytes: 262_144 };
    const env = { LOGSPHERE_LOG_DIR: `${dir}/log`, LOGSPHERE_RUN_DIR: `${dir}/run`, LOGSPHERE_STATE_DIR: `${dir}/state`, LOGSPHERE_CONFIG: '/dev/null', LOGSPHERE_MAX_BYTES: '262144', LOGSPHERE_KEEP_DAYS: '0' };
    const written: string[] = [];
    let clock = Date.UTC(2026, 10, 21, 12) * 1000;
    for (let i = 0; i < 10_000; i++) {
      clock += 1000;
      // Escapes, quotes, backslashes, non-ASCII and C1 controls in untrusted fields.
      const user = i % 97 === 0 ? `ev"il\\\u001b[2J\u009bÿ€😀${i}` : `user${i % 50}`;
      const login: build.Login = { user, uid: null, tty: `pts/${i % 64}`, rhost: `198.51.100.${i % 250}`, ruser: null, service: 'sshd', pid: 10_000 + i, pid_start: i };
      const record = i % 3 === 0 ? build.authFailure(origin, login, clock) : build.sessionOpen(origin, login, clock);
      const line = build.toLine(record);
      const result = await appendLines(target, [{ order: clock, id: record.event_id, line }]);
      expect(result.status).toBe('written');
      written.push(line.slice(0, -1));
      if (i === 5000) {
        const rotated = await runCli(['rotate'], env);
        expect(rotated.status, rotated.stderr).toBe(0);
        expect(rotated.stdout).toMatch(/compressed sessions-\d{8}T\d{6}Z(-\d+)?\.jsonl/);
      }
    }
    const segments = readdirSync(`${dir}/log`).filter((n) => n.startsWith('sessions-'));
    expect(segments.length).toBeGreaterThanOrEqual(10);

    const lines = () => (existsSync(received) ? readFileSync(received, 'utf8').split('\n').slice(0, -1) : []);
    await waitFor('10,000 lines at the receiver', () => (lines().length >= written.length ? true : null), 120_000);
    const got = lines();
    expect(got.length).toBe(written.length);
    expect(new Set(got).size).toBe(written.length);
    expect(got).toEqual(written);
    expect(readFileSync(received).equals(Buffer.from(`${written.join('\n')}\n`))).toBe(true);
  }, 300_000);
});
