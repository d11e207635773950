import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { afterEach, describe, expect, it } from 'vitest';
import type { Config } from '../config/config.ts';
import { spoolLines } from '../store/spool.ts';
import { doctorChecks, nodeSupported, type DoctorOptions } from './checks.ts';

let dir = '';
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const bootId = '11111111-2222-3333-4444-555555555555';
const isRoot = process.getuid?.() === 0;

function healthyHost(): DoctorOptions {
  dir = mkdtempSync(`${tmpdir()}/ls-doctor-`);
  const config: Config = {
    logDir: `${dir}/log`, logFile: `${dir}/log/sessions.jsonl`, runDir: `${dir}/run`, stateDir: `${dir}/state`,
    hostname: null, ignoreServices: [], fsync: true, maxBytes: 16777216, keepDays: 365, configPath: null, rulesPath: `${dir}/rules.json`, webhook: null, mail: null,
  };
  mkdirSync(config.logDir, { mode: 0o750 });
  chmodSync(config.logDir, 0o750);
  writeFileSync(config.logFile, `{"torn\n{"schema":"logsphere/1","event":"boot","boot_id":"${bootId}"}\n`, { mode: 0o640 });
  chmodSync(config.logFile, 0o640);
  mkdirSync(config.runDir, { mode: 0o755 });
  chmodSync(config.runDir, 0o755);
  mkdirSync(config.stateDir, { mode: 0o755 });
  chmodSync(config.stateDir, 0o755);
  mkdirSync(`${dir}/pam.d`);
  writeFileSync(`${dir}/pam.d/common-session`, `session optional pam_systemd.so\nsession optional pam_exec.so quiet seteuid ${dir}/hook\n`);
  writeFileSync(`${dir}/hook`, '#!/usr/bin/node\n', { mode: 0o755 });
  mkdirSync(`${dir}/units/sysinit.target.wants`, { recursive: true });
  writeFileSync(`${dir}/units/logsphere-boot.service`, '[Unit]\n');
  writeFileSync(`${dir}/units/sysinit.target.wants/logsphere-boot.service`, '[Unit]\n');
  return {
    config, utmpPath: `${dir}/utmp`, nodePath: process.execPath, nodeVersion: 'v20.20.2', hookPath: `${dir}/hook`, pamDirs: { config: `${dir}/pam.d`, vendor: `${dir}/lib-pam.d` },
    unitDirs: [`${dir}/units`], systemdRunning: true, bootId,
  };
}

const statusOf = (options: DoctorOptions) => Object.fromEntries(doctorChecks(options).map((c) => [c.name, c.status]));

describe('doctorChecks()', () => {
  it.skipIf(!isRoot)('passes a healthy installation', () => {
    const options = healthyHost();
    const checks = doctorChecks(options);
    // Group adm is only checked for ownership where the group exists; the temp files are root's.
    expect(checks.filter((c) => c.status === 'FAIL')).toEqual([]);
  });

  it('fails an old node, a missing hook, no PAM line, a disabled unit, no boot record', () => {
    const options = healthyHost();
    rmSync(`${dir}/hook`);
    writeFileSync(`${dir}/pam.d/common-session`, '#session optional pam_exec.so quiet /x\n');
    rmSync(`${dir}/units/sysinit.target.wants/logsphere-boot.service`);
    writeFileSync(options.config.logFile, '{"event":"boot","boot_id":"another-boot"}\n');
    const status = statusOf({ ...options, nodeVersion: 'v18.18.2' });
    expect(status).toMatchObject({ node: 'FAIL', hook: 'FAIL', pam: 'FAIL', unit: 'FAIL', 'boot record': 'FAIL' });
  });

  it('takes Node.js 18.19 and newer: Debian 12\'s and Ubuntu 24.04\'s own', () => {
    expect(['v18.18.2', 'v16.20.2', 'v18.9.0', 'junk'].map(nodeSupported)).toEqual([false, false, false, false]);
    expect(['v18.19.1', 'v18.20.4', 'v20.19.0', 'v22.1.0', 'v100.0.0'].map(nodeSupported)).toEqual([true, true, true, true, true]);
  });

  it('warns on a PAM line that is not optional and on records waiting in the spool', () => {
    const options = healthyHost();
    writeFileSync(`${dir}/pam.d/common-session`, `session required pam_exec.so quiet seteuid ${dir}/hook\n`);
    spoolLines(options.config.runDir, [{ order: 1, id: 'a', line: '{}\n' }]);
    const checks = doctorChecks(options);
    expect(checks.find((c) => c.name === 'pam')?.status).toBe('WARN');
    expect(checks.find((c) => c.name === 'spool')).toMatchObject({ status: 'WARN', detail: expect.stringContaining('1 record(s) waiting') });
  });

  it('fails a world-writable or symlinked log directory and warns on a wider file mode', () => {
    const options = healthyHost();
    chmodSync(options.config.logFile, 0o644);
    chmodSync(options.config.logDir, 0o777);
    const checks = doctorChecks(options);
    expect(checks.find((c) => c.name === 'log directory')).toMatchObject({ status: 'FAIL', detail: expect.stringContaining('world-writable') });
    expect(checks.find((c) => c.name === 'log file')?.detail).toContain('wider than 0640');
  });

  it('compares the sessions of utmp with the open sessions LogSphere knows', () => {
    const options = healthyHost();
    expect(doctorChecks(options).find((c) => c.name === 'utmp')).toBeUndefined();
    const entry = (user: string, line: string) => {
      const b = Buffer.alloc(384);
      b.writeInt16LE(7, 0);
      b.write(line, 8);
      b.write(user, 44);
      return b;
    };
    writeFileSync(options.utmpPath, Buffer.concat([entry('alice', 'pts/0'), entry('bob', 'pts/1')]));
    const runDir = options.config.runDir;
    mkdirSync(`${runDir}/sessions`, { recursive: true });
    writeFileSync(`${runDir}/sessions/1-1-x.json`, JSON.stringify({ user: 'alice', session_id: 'a', ts: 't' }));
    expect(doctorChecks(options).find((c) => c.name === 'utmp')).toMatchObject({ status: 'WARN', detail: expect.stringContaining('bob (pts/1)') });
    writeFileSync(`${runDir}/sessions/2-2-y.json`, JSON.stringify({ user: 'bob', session_id: 'b', ts: 't' }));
    expect(doctorChecks(options).find((c) => c.name === 'utmp')?.status).toBe('OK');
  });

  it("fails while a service that runs the hook reads users' environment files, through includes", () => {
    const options = healthyHost();
    expect(doctorChecks(options).find((c) => c.name === 'pam environment')?.status).toBe('OK');
    // Debian 12's sshd: the session stack included, then pam_env reading ~/.pam_environment.
    writeFileSync(`${dir}/pam.d/sshd`, '@include common-session\nsession required pam_env.so # [1]\nsession required pam_env.so user_readenv=1 envfile=/etc/default/locale\n');
    // A service that reads them without the hook, and one with the option only in a comment.
    writeFileSync(`${dir}/pam.d/other-service`, 'session required pam_env.so user_readenv=1\n');
    writeFileSync(`${dir}/pam.d/login`, 'session include common-session\nsession required pam_env.so readenv=1 # not user_readenv=1\n');
    expect(doctorChecks(options).find((c) => c.name === 'pam environment')).toMatchObject({
      status: 'FAIL',
      detail: expect.stringMatching(new RegExp(`^sshd \\(${dir}/pam\\.d/sshd line 3\\): runs the hook and reads users' ~/\\.pam_environment`)),
    });
    writeFileSync(`${dir}/pam.d/sshd`, '@include common-session\nsession required pam_env.so user_readenv=0 envfile=/etc/default/locale\n');
    expect(doctorChecks(options).find((c) => c.name === 'pam environment')?.status).toBe('OK');
  });

  it('says whether failed logins are recorded and how to turn it on', () => {
    const options = healthyHost();
    expect(doctorChecks(options).find((c) => c.name === 'failed logins')).toMatchObject({ status: 'WARN', detail: expect.stringContaining('scripts/install.sh --with-auth-failures') });
    writeFileSync(`${dir}/pam.d/common-auth`, `auth [success=2 default=ignore] pam_unix.so nullok\nauth optional pam_exec.so quiet seteuid ${dir}/hook auth-failure\nauth requisite pam_deny.so\n`);
    expect(doctorChecks(options).find((c) => c.name === 'failed logins')).toMatchObject({ status: 'OK', detail: `recorded (${dir}/pam.d/common-auth)` });
  });

  it("gives the Debian package's way to set things right where the package installed LogSphere", () => {
    const options = { ...healthyHost(), installedBy: 'package' as const, systemdRunning: false };
    writeFileSync(`${dir}/pam.d/common-session`, 'session optional pam_systemd.so\n');
    const detail = (name: string) => doctorChecks(options).find((c) => c.name === name)?.detail;
    expect(detail('pam')).toBe(`no session line with pam_exec.so ${dir}/hook in ${dir}/pam.d; dpkg-reconfigure logsphere proves the line and enables it`);
    expect(detail('failed logins')).toContain('turn it on with LOGSPHERE_AUTH_FAILURES=yes dpkg-reconfigure logsphere');
    expect(detail('unit')).toContain("boots are recorded by the package's configuration only");
    expect(JSON.stringify(doctorChecks(options))).not.toContain('install.sh');
  });

  it('warns, not fails, about the unit when systemd is not running', () => {
    const options = healthyHost();
    expect(statusOf({ ...options, systemdRunning: false })['unit']).toBe('WARN');
  });
});
