// The hook on a real PAM stack: pamtester drives libpam, pam_exec runs the built hook.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { scratch } from '../helpers/hook.ts';
import { readRecords } from '../helpers/log.ts';
import { pamService, type PamService } from '../helpers/pam.ts';
import { hookBundle, requireBuilt } from '../helpers/paths.ts';
import { missing } from '../helpers/require.ts';
import { parseTimestamp } from '../../src/record/time.ts';

const lacking = missing({ root: true, commands: ['/usr/bin/pamtester', '/usr/lib/x86_64-linux-gnu/security/pam_exec.so'] });

const ticksNow = () => Math.floor(Number(readFileSync('/proc/uptime', 'utf8').split(' ')[0]) * 100);

describe.skipIf(lacking)('the hook under pam_exec (pamtester)', () => {
  beforeAll(requireBuilt);
  let s = scratch();
  let service: PamService | undefined;
  afterEach(() => {
    service?.remove();
    s.cleanup();
    s = scratch();
  });
  afterAll(() => s.cleanup()); // the one made after the last test

  // The hook's configuration: a root-owned file named on the PAM line, as a proof run does.
  const sessionStack = () => [
    'auth required pam_permit.so',
    'account required pam_permit.so',
    'session required pam_permit.so',
    `session optional pam_exec.so quiet seteuid ${hookBundle} ${s.hook().join(' ')}`,
  ];

  function pamtester(name: string, items: string[], ops: string[]) {
    return spawnSync('pamtester', ['-v', ...items, name, 'root', ...ops], { encoding: 'utf8', input: '' });
  }

  it('records an open/close pair with one session id and the PAM items', () => {
    service = pamService('logsphere-test', sessionStack());
    const before = ticksNow();
    const r = pamtester(service.name, ['-I', 'tty=/dev/pts/9', '-I', 'rhost=203.0.113.7', '-I', 'ruser=carol'], ['open_session', 'close_session']);
    const after = ticksNow();
    expect(r.status, r.stderr).toBe(0);
    const records = readRecords(s.logFile);
    expect(records.map((x) => x.event)).toEqual(['session_open', 'session_close']);
    const [open, close] = records;
    if (open === undefined || close === undefined) throw new Error('expected an open and a close');
    for (const record of records) {
      expect(record).toMatchObject({
        user: 'root', uid: 0, tty: 'pts/9', rhost: '203.0.113.7', ruser: 'carol', service: service.name,
        pid: r.pid, source: 'pam', session_id: open['session_id'],
      });
      expect(record['pid_start']).toBeGreaterThanOrEqual(before - 1);
      expect(record['pid_start']).toBeLessThanOrEqual(after + 1);
    }
    expect(close['pid_start']).toBe(open['pid_start']);
    expect(close['login_time']).toBe(open['ts']);
    const expected = ((parseTimestamp(String(close['ts'])) ?? 0) - (parseTimestamp(String(open['ts'])) ?? 0)) / 1e6;
    expect(close['duration_s']).toBeCloseTo(expected, 6);
    expect(close['duration_s']).toBeGreaterThan(0);
  });

  const failureBranch = (first: string) => [
    `auth [success=2 default=ignore] ${first}`,
    `auth optional pam_exec.so quiet seteuid ${hookBundle} ${s.hook(['auth-failure']).join(' ')}`,
    'auth requisite pam_deny.so',
    'auth required pam_permit.so',
    'account required pam_permit.so',
    'session required pam_permit.so',
  ];

  it('records auth_failure on the failure branch', () => {
    service = pamService('logsphere-test', failureBranch('pam_deny.so'));
    const r = pamtester(service.name, ['-I', 'rhost=198.51.100.23', '-I', 'tty=ssh'], ['authenticate']);
    expect(r.status).not.toBe(0);
    const records = readRecords(s.logFile);
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({
      event: 'auth_failure', session_id: null, user: 'root', rhost: '198.51.100.23', tty: 'ssh', service: service.name, pid: r.pid,
    });
  });

  it('records nothing when authentication succeeds', () => {
    service = pamService('logsphere-test', failureBranch('pam_permit.so'));
    const r = pamtester(service.name, [], ['authenticate']);
    expect(r.status, r.stderr).toBe(0);
    expect(() => readFileSync(s.logFile)).toThrow(/ENOENT/);
  });

  it('caps the largest PAM items that can reach it and marks them truncated', () => {
    service = pamService('logsphere-test', sessionStack());
    // A 1 MB item cannot reach the hook through PAM: one argv or environment string is at most
    // 128 KiB (MAX_ARG_STRLEN), and this libpam already answers "System error" for a 20 KB item.
    // 8 KB passes PAM; the hook's cap on the largest values execve allows is in hook.test.ts.
    const big = 'r'.repeat(8000);
    const r = pamtester(service.name, ['-I', `rhost=${big}`, '-I', 'ruser=\u001b[31mred\nline'], ['open_session', 'close_session']);
    expect(r.status, r.stderr).toBe(0);
    const records = readRecords(s.logFile);
    expect(records.map((x) => x.event)).toEqual(['session_open', 'session_close']);
    for (const record of records) {
      expect(record['rhost']).toBe('r'.repeat(256));
      expect(record['truncated']).toEqual(['rhost']);
    }
  });
});
