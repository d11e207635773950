// Failed logins against a real sshd on loopback: the hook on the auth-failure branch of its PAM
// stack, sshd's own syslog lines (through a private rsyslogd) imported with `import authlog`,
// `logsphere failed`, and `logsphere watch` alerting on the burst and on the login that follows.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readRecords, type JsonRecord } from '../helpers/log.ts';
import { cliBundle, nodePath, requireBuilt } from '../helpers/paths.ts';
import { missing } from '../helpers/require.ts';
import { startSshd, waitFor, type Sshd } from '../helpers/sshd.ts';
import { runCli, startWatch, type WatchProcess } from '../helpers/watch.ts';

const lacking = missing({ root: true, commands: ['/usr/sbin/sshd', '/usr/bin/ssh', '/usr/sbin/useradd', '/usr/sbin/rsyslogd', '/usr/bin/unshare'] });

describe.skipIf(lacking)('failed logins through a real sshd', () => {
  let sshd: Sshd;
  let watch: WatchProcess;
  let env: Record<string, string>;
  beforeAll(async () => {
    requireBuilt();
    sshd = await startSshd({ syslog: true });
    mkdirSync(`${sshd.dir}/state`);
    // The built-in rules (no rules file), the sshd's log, a state directory of the test's own.
    env = { LOGSPHERE_LOG_DIR: `${sshd.dir}/log`, LOGSPHERE_RUN_DIR: `${sshd.dir}/run`, LOGSPHERE_STATE_DIR: `${sshd.dir}/state`, LOGSPHERE_CONFIG: '/dev/null', LOGSPHERE_RULES: `${sshd.dir}/no-rules.json` };
    watch = startWatch([], env);
    await waitFor('the watch checkpoint', () => (existsSync(`${sshd.dir}/state/watch.checkpoint.json`) ? true : null));
  });
  afterAll(async () => {
    await watch?.stop();
    await sshd?.stop();
  });

  const records = (): JsonRecord[] => (existsSync(sshd.logFile) ? readRecords(sshd.logFile) : []);

  it('records 10 wrong passwords from 127.0.0.1 as auth_failure, alerts once, and alerts on the login after them', async () => {
    const askpass = `${sshd.dir}/askpass`;
    writeFileSync(askpass, '#!/bin/sh\necho wrong-password\n', { mode: 0o755 });
    for (let i = 0; i < 10; i++) {
      const r = spawnSync('setsid', ['-w', 'ssh', ...sshd.sshArgs(['-o', 'BatchMode=no', '-o', 'PreferredAuthentications=password', '-o', 'PubkeyAuthentication=no', '-o', 'NumberOfPasswordPrompts=1']), 'true'], {
        encoding: 'utf8', input: '', env: { ...process.env, SSH_ASKPASS: askpass, SSH_ASKPASS_REQUIRE: 'force', DISPLAY: 'x' },
      });
      expect(r.status, r.stderr).toBe(255);
    }
    const failures = await waitFor('10 auth_failure records', () => {
      const f = records().filter((r) => r.event === 'auth_failure');
      return f.length >= 10 ? f : null;
    });
    expect(failures).toHaveLength(10);
    for (const f of failures) expect(f).toMatchObject({ source: 'pam', user: sshd.user, rhost: '127.0.0.1', service: sshd.service, session_id: null });
    expect(records().filter((r) => r.event === 'session_open')).toEqual([]);

    const alerts = await watch.waitAlerts(1, 'the failures alert');
    // The whole burst is in; an alert for it comes at the 5th failure and not again.
    expect(alerts.filter((a) => a['rule'] === 'failures_by_rhost')).toEqual([
      expect.objectContaining({ rule: 'failures_by_rhost', severity: 'warning', rhost: '127.0.0.1', count: 5, first_event_id: failures[0]?.event_id, last_event_id: failures[4]?.event_id }),
    ]);
    console.log(`alert lines from the sshd test:\n${alerts.map((a) => JSON.stringify(a)).join('\n')}`);

    // Now the right key: a successful login from the rhost that just failed 10 times.
    const before = watch.alerts().length;
    const ok = spawnSync('ssh', [...sshd.sshArgs([]), 'echo logged-in'], { encoding: 'utf8', input: '' });
    expect(ok.stdout, ok.stderr).toContain('logged-in');
    const after = await waitFor('the brute-force alert', () => {
      const a = watch.alerts().slice(before).find((x) => x['rule'] === 'brute_force_success');
      return a ?? null;
    });
    const open = records().find((r) => r.event === 'session_open');
    expect(after).toMatchObject({ severity: 'critical', user: sshd.user, rhost: '127.0.0.1', count: 10, last_event_id: open?.event_id, first_event_id: failures[0]?.event_id });
    console.log(`brute-force alert: ${JSON.stringify(after)}`);
    expect(watch.alerts().filter((a) => a['rule'] === 'failures_by_rhost')).toHaveLength(1);
    // Ten logins, each with PAM's failure delay of 2 s, then the alerts and one more login: some
    // 30 s on an idle machine.
  }, 180_000);

  it('reads the same 10 failures from sshd\'s own syslog lines with import authlog, in both timestamp styles', async () => {
    const failedLines = (path: string) => (existsSync(path) ? readFileSync(path, 'utf8').split('\n').filter((l) => l.includes('Failed password for')) : []);
    await waitFor('rsyslogd to write 10 "Failed password" lines', () => (failedLines(sshd.authLog).length >= 10 && failedLines(sshd.authLogRfc3339).length >= 10 ? true : null));
    const pamFailures = records().filter((r) => r.event === 'auth_failure');
    for (const file of [sshd.authLog, sshd.authLogRfc3339]) {
      const r = spawnSync(nodePath, [cliBundle, 'import', 'authlog', file], { encoding: 'utf8', env });
      expect(r.status, r.stderr).toBe(0);
      const imported = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as JsonRecord);
      expect(imported).toHaveLength(10);
      for (const [i, rec] of imported.entries()) {
        expect(rec).toMatchObject({ event: 'auth_failure', source: 'authlog', user: sshd.user, rhost: '127.0.0.1', service: 'sshd' });
        // The hook runs inside PAM at the failure; sshd logs it after PAM's failure delay (2 s
        // with pam_unix, give or take), and the classic format has whole seconds: 10 s allows for
        // a loaded machine.
        const gap = Date.parse(rec.ts) - Date.parse(String(pamFailures[i]?.ts));
        expect(gap, `${rec.ts} vs ${pamFailures[i]?.ts}`).toBeGreaterThan(-1000);
        expect(gap, `${rec.ts} vs ${pamFailures[i]?.ts}`).toBeLessThan(10_000);
      }
      // Idempotent: the same ids again.
      expect(spawnSync(nodePath, [cliBundle, 'import', 'authlog', file], { encoding: 'utf8', env }).stdout).toBe(r.stdout);
    }
  });

  it('shows the failures with logsphere failed, one by one and by rhost', async () => {
    const list = await runCli(['failed', '--json'], env);
    expect(JSON.parse(list.stdout)).toHaveLength(10);
    const byRhost = await runCli(['failed', '--by', 'rhost', '--json'], env);
    expect(JSON.parse(byRhost.stdout)).toEqual([expect.objectContaining({ rhost: '127.0.0.1', count: 10, users: 1 })]);
    const text = await runCli(['failed', '-n', '2'], env);
    expect(text.stdout.trim().split('\n')).toHaveLength(2);
    expect(text.stdout).toContain('127.0.0.1');
  });
});
