// scripts/install.sh on this host: install, prove, repeat, uninstall; /etc/pam.d must come back
// byte for byte. Runs only where LogSphere is not installed already.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { afterAll, describe, expect, it } from 'vitest';
import { readRecords } from '../helpers/log.ts';
import { pamService } from '../helpers/pam.ts';
import { repoRoot } from '../helpers/paths.ts';
import { missing } from '../helpers/require.ts';

const lacking =
  missing({ root: true, commands: ['/usr/bin/pamtester', '/usr/sbin/pam-auth-update'] }) ??
  (existsSync('/usr/local/lib/logsphere') ? 'LogSphere is installed on this host already' : null);

function snapshot(dir: string): Record<string, string> {
  return Object.fromEntries(
    readdirSync(dir, { withFileTypes: true })
      .filter((e) => e.isFile())
      .map((e) => [e.name, readFileSync(`${dir}/${e.name}`, 'latin1')]),
  );
}

const install = (args: string[] = [], env: Record<string, string> = {}) =>
  spawnSync('bash', [`${repoRoot}scripts/install.sh`, ...args], { encoding: 'utf8', env: { ...process.env, ...env }, input: '' });

describe.skipIf(lacking)('scripts/install.sh', () => {
  const pamBefore = snapshot('/etc/pam.d');
  const logExisted = existsSync('/var/log/logsphere');
  const scratch = mkdtempSync(`${tmpdir()}/ls-install-`);
  afterAll(() => {
    if (existsSync('/usr/local/lib/logsphere')) install(['--uninstall', ...(logExisted ? [] : ['--purge'])]);
    rmSync(scratch, { recursive: true, force: true });
  });

  it('refuses a missing or old /usr/bin/node with a clear message and changes nothing', () => {
    const missingNode = install([], { LOGSPHERE_NODE: `${scratch}/no-node` });
    expect(missingNode.status).toBe(1);
    expect(missingNode.stderr).toContain(`${scratch}/no-node is missing`);
    writeFileSync(`${scratch}/old-node`, '#!/bin/sh\necho v18.19.1\n', { mode: 0o755 });
    const oldNode = install([], { LOGSPHERE_NODE: `${scratch}/old-node` });
    expect(oldNode.status).toBe(1);
    expect(oldNode.stderr).toContain('is v18.19.1; LogSphere needs Node.js 20 or newer');
    expect(existsSync('/usr/local/lib/logsphere')).toBe(false);
    expect(snapshot('/etc/pam.d')).toEqual(pamBefore);
  });

  it('installs, and the host session stack records sessions', () => {
    const r = install();
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain('PAM: enabled through pam-auth-update');
    // It ends with `logsphere sessions`: its table header is the last thing printed.
    expect(r.stdout.trimEnd().split('\n').at(-1)).toMatch(/^USER\s+TTY\s+FROM\s+SERVICE\s+LOGIN\s+TIME\s+SESSION$/);
    const session = readFileSync('/etc/pam.d/common-session', 'utf8').split('\n');
    const line = session.findIndex((l) => /^session\s+optional\s+pam_exec\.so quiet \/usr\/local\/lib\/logsphere\/logsphere-hook$/.test(l));
    expect(line).toBeGreaterThan(-1);
    const systemd = session.findIndex((l) => l.includes('pam_systemd.so'));
    if (systemd >= 0) expect(line).toBeGreaterThan(systemd);

    const service = pamService('logsphere-test', ['auth required pam_permit.so', 'account required pam_permit.so', '@include common-session']);
    try {
      const p = spawnSync('pamtester', ['-E', `LOGSPHERE_LOG_DIR=${scratch}/log`, '-E', `LOGSPHERE_RUN_DIR=${scratch}/run`, '-I', 'tty=pts/42', service.name, 'root', 'open_session', 'close_session'], { encoding: 'utf8' });
      expect(p.status, p.stderr).toBe(0);
    } finally {
      service.remove();
    }
    const records = readRecords(`${scratch}/log/sessions.jsonl`);
    expect(records.map((x) => x.event)).toEqual(['session_open', 'session_close']);
    expect(records[1]?.['session_id']).toBe(records[0]?.['session_id']);
  });

  it('leaves logsphere doctor without failures, with this boot recorded', () => {
    const d = spawnSync('/usr/local/bin/logsphere', ['doctor'], { encoding: 'utf8' });
    expect(d.stdout).toMatch(/^OK\s+hook: /m);
    expect(d.stdout).toMatch(/^OK\s+pam: \/etc\/pam\.d\/common-session/m);
    expect(d.stdout).toMatch(/^OK\s+boot record: /m);
    expect(d.stdout).toMatch(/^OK\s+log directory: \/var\/log\/logsphere 0750/m);
    expect(d.stdout).not.toMatch(/^FAIL/m);
    expect(d.status).toBe(0);
  });

  it('is idempotent', () => {
    const pamInstalled = snapshot('/etc/pam.d');
    const r = install();
    expect(r.status, r.stderr).toBe(0);
    expect(snapshot('/etc/pam.d')).toEqual(pamInstalled);
    for (const unit of ['logsphere-rotate.service', 'logsphere-rotate.timer']) expect(existsSync(`/usr/local/lib/systemd/system/${unit}`), unit).toBe(true);
    const boots = readRecords('/var/log/logsphere/sessions.jsonl').filter((x) => x.event === 'boot');
    expect(new Set(boots.map((b) => b['boot_id'])).size).toBe(boots.length);
  });

  it('with --with-auth-failures records failed authentications through the host auth stack', () => {
    const r = install(['--with-auth-failures'], { LOGSPHERE_SKIP_BUILD: 'yes' });
    expect(r.status, r.stderr).toBe(0);
    const auth = readFileSync('/etc/pam.d/common-auth', 'utf8').split('\n').filter((l) => l.startsWith('auth'));
    const unix = auth.findIndex((l) => l.includes('pam_unix.so'));
    expect(auth[unix]).toMatch(/^auth\s+\[success=2 default=ignore\]\s+pam_unix\.so/);
    expect(auth[unix + 1]).toMatch(/^auth\s+optional\s+pam_exec\.so quiet \/usr\/local\/lib\/logsphere\/logsphere-hook auth-failure$/);
    expect(auth[unix + 2]).toMatch(/^auth\s+requisite\s+pam_deny\.so/);
    const service = pamService('logsphere-test', ['@include common-auth', 'account required pam_permit.so']);
    try {
      const p = spawnSync('pamtester', ['-E', `LOGSPHERE_LOG_DIR=${scratch}/authlog`, '-E', `LOGSPHERE_RUN_DIR=${scratch}/run`, '-I', 'rhost=198.51.100.77', service.name, 'nosuchuser-ls', 'authenticate'], { encoding: 'utf8', input: '' });
      expect(p.status).not.toBe(0);
      const records = readRecords(`${scratch}/authlog/sessions.jsonl`);
      expect(records).toEqual([expect.objectContaining({ event: 'auth_failure', user: 'nosuchuser-ls', rhost: '198.51.100.77', service: service.name, uid: null, source: 'pam' })]);
      expect(JSON.stringify(records)).not.toMatch(/password|authtok/i);
    } finally {
      service.remove();
    }
  });

  it('uninstalls everything it added and restores /etc/pam.d byte for byte', () => {
    const r = install(['--uninstall', ...(logExisted ? [] : ['--purge'])]);
    expect(r.status, r.stderr).toBe(0);
    expect(snapshot('/etc/pam.d')).toEqual(pamBefore);
    for (const path of [
      '/usr/local/lib/logsphere', '/usr/local/bin/logsphere', '/usr/local/bin/logsphere-hook',
      '/usr/local/lib/systemd/system/logsphere-boot.service', '/usr/local/lib/tmpfiles.d/logsphere.conf',
      '/usr/share/pam-configs/logsphere', '/usr/share/pam-configs/logsphere-auth-failure', '/run/logsphere',
      '/usr/local/lib/systemd/system/logsphere-watch.service', '/usr/local/lib/systemd/system/logsphere-report.timer',
      '/usr/local/lib/systemd/system/logsphere-rotate.service', '/usr/local/lib/systemd/system/logsphere-rotate.timer',
    ]) {
      expect(existsSync(path), path).toBe(false);
    }
  });
});
