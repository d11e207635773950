// scripts/install.sh on this host: install, prove, repeat, uninstall; /etc/pam.d must come back
// byte for byte. Runs only where LogSphere is not installed already.
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, chownSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { afterAll, describe, expect, it } from 'vitest';
import { readRecords } from '../helpers/log.ts';
import { pamService } from '../helpers/pam.ts';
import { hookBundle, nodePath, repoRoot } from '../helpers/paths.ts';
import { writeConfigFile } from '../helpers/hook.ts';
import { missing } from '../helpers/require.ts';

const lacking =
  missing({ root: true, commands: ['/usr/bin/pamtester', '/usr/sbin/pam-auth-update', '/usr/bin/gcc'] }) ??
  (existsSync('/usr/local/lib/logsphere') ? 'LogSphere is installed on this host already' : null) ??
  (existsSync('/usr/lib/logsphere') ? 'the Debian package logsphere is installed on this host' : null);

function snapshot(dir: string): Record<string, string> {
  const own = statSync(dir);
  return Object.fromEntries([
    ['.', `${(own.mode & 0o7777).toString(8)} ${own.uid}:${own.gid}`],
    ...readdirSync(dir, { withFileTypes: true })
      .filter((e) => e.isFile())
      .map((e) => [e.name, readFileSync(`${dir}/${e.name}`, 'latin1')]),
  ]);
}

const install = (args: string[] = [], env: Record<string, string> = {}) =>
  spawnSync('bash', [`${repoRoot}scripts/install.sh`, ...args], { encoding: 'utf8', env: { ...process.env, ...env }, input: '' });

const installedLog = '/var/log/logsphere/sessions.jsonl';

// A skipped run says why in its name (vitest prints skipped suites by name).
describe.skipIf(lacking)(`scripts/install.sh${lacking ? ` (skipped: ${lacking})` : ''}`, () => {
  // A service laid out like Debian 12's sshd: the session stack, then pam_env reading the user's
  // ~/.pam_environment. At close_session those values are in the PAM environment pam_exec hands
  // the hook, which runs as root.
  const sshdLike = lacking
    ? null
    : pamService('logsphere-sshd', [
        'auth required pam_permit.so', 'account required pam_permit.so', '@include common-session',
        'session required pam_env.so # [1]', 'session required pam_env.so user_readenv=1 envfile=/etc/default/locale',
      ]);
  const scratch = lacking ? '' : mkdtempSync(`${tmpdir()}/ls-install-`);
  // Forms a parser of PAM files could miss: a vendor service (/usr/lib/pam.d, shadowed by an
  // /etc/pam.d file of the same name), and a service file that is a link to a file elsewhere,
  // reading the user's file through a bracketed, odd value that pam_env's atoi takes as on.
  const tag = randomBytes(3).toString('hex');
  const vendorService = `logsphere-vendor-${tag}`;
  const linkedService = `logsphere-linked-${tag}`;
  const linkedText = '@include common-session\nsession required pam_env.so [user_readenv=01] # the user\'s file\n';
  const vendorDirExisted = existsSync('/usr/lib/pam.d');
  if (!lacking) {
    mkdirSync('/usr/lib/pam.d', { recursive: true });
    writeFileSync(`/usr/lib/pam.d/${vendorService}`, 'auth required pam_permit.so\naccount required pam_permit.so\n@include common-session\nsession required pam_env.so \\\n  user_readenv=1\n');
    writeFileSync(`${scratch}/linked-target`, linkedText);
    symlinkSync(`${scratch}/linked-target`, `/etc/pam.d/${linkedService}`);
  }
  const pamBefore = snapshot('/etc/pam.d');
  let installOutput = '';
  const logExisted = existsSync('/var/log/logsphere');
  afterAll(() => {
    if (existsSync('/usr/local/lib/logsphere')) install(['--uninstall', ...(logExisted ? [] : ['--purge'])]);
    sshdLike?.remove();
    rmSync(`/usr/lib/pam.d/${vendorService}`, { force: true });
    if (!vendorDirExisted) rmSync('/usr/lib/pam.d', { recursive: true, force: true });
    rmSync(`/etc/pam.d/${linkedService}`, { force: true });
    rmSync(`/etc/pam.d/${vendorService}`, { force: true });
    if (scratch !== '') rmSync(scratch, { recursive: true, force: true });
  });

  it('refuses a missing or old /usr/bin/node with a clear message and changes nothing', () => {
    const missingNode = install([], { LOGSPHERE_NODE: `${scratch}/no-node` });
    expect(missingNode.status).toBe(1);
    expect(missingNode.stderr).toContain(`${scratch}/no-node is missing`);
    writeFileSync(`${scratch}/old-node`, '#!/bin/sh\necho v18.18.2\n', { mode: 0o755 });
    const oldNode = install([], { LOGSPHERE_NODE: `${scratch}/old-node` });
    expect(oldNode.status).toBe(1);
    expect(oldNode.stderr).toContain('is v18.18.2; LogSphere needs Node.js 18.19 or newer');
    expect(existsSync('/usr/local/lib/logsphere')).toBe(false);
    expect(snapshot('/etc/pam.d')).toEqual(pamBefore);
  });

  it('installs, and the host session stack records sessions', () => {
    const r = install();
    installOutput = r.stdout;
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain('PAM: enabled through pam-auth-update');
    // It ends with `logsphere sessions`: its table header is the last thing printed.
    expect(r.stdout.trimEnd().split('\n').at(-1)).toMatch(/^USER\s+TTY\s+FROM\s+SERVICE\s+LOGIN\s+TIME\s+SESSION$/);
    const session = readFileSync('/etc/pam.d/common-session', 'utf8').split('\n');
    const line = session.findIndex((l) => /^session\s+optional\s+pam_exec\.so quiet seteuid \/usr\/local\/lib\/logsphere\/logsphere-hook$/.test(l));
    expect(line).toBeGreaterThan(-1);
    const systemd = session.findIndex((l) => l.includes('pam_systemd.so'));
    if (systemd >= 0) expect(line).toBeGreaterThan(systemd);

    const service = pamService('logsphere-test', ['auth required pam_permit.so', 'account required pam_permit.so', '@include common-session']);
    try {
      const p = spawnSync('pamtester', ['-I', 'tty=pts/42', service.name, 'root', 'open_session', 'close_session'], { encoding: 'utf8' });
      expect(p.status, p.stderr).toBe(0);
    } finally {
      service.remove();
    }
    // The installed hook writes where the host's configuration says: the log of the install.
    const records = readRecords(installedLog).filter((x) => x['service'] === service.name);
    expect(records.map((x) => x.event)).toEqual(['session_open', 'session_close']);
    expect(records[1]?.['session_id']).toBe(records[0]?.['session_id']);
  });

  it.skipIf(existsSync('/run/systemd/system') || !existsSync('/etc/cron.d'))('without systemd, has cron record the boot, keep the log and write the weekly report', () => {
    expect(installOutput).toContain('logsphere install: cron (/etc/cron.d/logsphere): the boot record at each boot');
    const lines = readFileSync('/etc/cron.d/logsphere', 'utf8').split('\n').filter((l) => l !== '' && !l.startsWith('#'));
    expect(lines).toEqual([
      '@reboot root /usr/bin/node /usr/local/lib/logsphere/logsphere-hook boot',
      '17 3 * * * root /usr/bin/node /usr/local/lib/logsphere/logsphere rotate >/dev/null',
      '0 6 * * 1 root /usr/bin/node /usr/local/lib/logsphere/logsphere report --since=-7d --format html --output /var/lib/logsphere/report.html',
    ]);
    expect(statSync('/etc/cron.d/logsphere').mode & 0o777).toBe(0o644);
    // What cron will run, run now: each works as it stands in the file.
    for (const line of lines.slice(1)) {
      const command = line.split(' ').slice(6).filter((w) => w !== '>/dev/null');
      const r = spawnSync(command[0] as string, command.slice(1), { encoding: 'utf8' });
      expect(r.status, `${line}\n${r.stderr}`).toBe(0);
    }
    expect(readFileSync('/var/lib/logsphere/report.html', 'utf8')).toContain('<html');
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

  it("turned off user_readenv where the hook runs; a user's ~/.pam_environment steers nothing in the hook", () => {
    const service = sshdLike as NonNullable<typeof sshdLike>;
    expect(installOutput).toContain(`PAM: ${service.path} line 5 read users' ~/.pam_environment (pam_env user_readenv) in a stack that runs the hook as root: turned off (user_readenv=0)`);
    expect(readFileSync(service.path, 'utf8')).toContain('\nsession required pam_env.so user_readenv=1 envfile=/etc/default/locale user_readenv=0\n');
    // The vendor's service: an edited copy in /etc/pam.d stands in for it, the vendor's file as it was.
    expect(readFileSync(`/etc/pam.d/${vendorService}`, 'utf8')).toContain('session required pam_env.so \\\n  user_readenv=1 user_readenv=0\n');
    expect(readFileSync(`/usr/lib/pam.d/${vendorService}`, 'utf8')).not.toContain('user_readenv=0');
    // The linked service: still a link, its file edited where it lies, before its comment.
    expect(lstatSync(`/etc/pam.d/${linkedService}`).isSymbolicLink()).toBe(true);
    expect(readFileSync(`${scratch}/linked-target`, 'utf8')).toBe(linkedText.replace('[user_readenv=01]', '[user_readenv=01] user_readenv=0'));
    const check = spawnSync('/usr/local/bin/logsphere', ['doctor', '--user-environment'], { encoding: 'utf8' });
    expect(check.stdout).toBe('');

    const user = `lsenv${randomBytes(3).toString('hex')}`;
    execFileSync('useradd', ['-m', '-s', '/bin/bash', user]);
    const home = `/home/${user}`;
    // An unfixed service for the control run: the hook under test, then pam_env reading the file.
    writeConfigFile(`${scratch}/control.env`, { LOGSPHERE_LOG_DIR: `${scratch}/control-log`, LOGSPHERE_RUN_DIR: `${scratch}/control-run` });
    const unfixed = pamService('logsphere-unfixed', [
      'auth required pam_permit.so', 'account required pam_permit.so', 'session required pam_permit.so',
      `session optional pam_exec.so quiet ${hookBundle} --config=${scratch}/control.env`, 'session required pam_env.so user_readenv=1',
    ]);
    try {
      const uid = Number(execFileSync('id', ['-u', user], { encoding: 'utf8' }).trim());
      const marks = `${scratch}/marks`;
      chmodSync(scratch, 0o711);
      mkdirSync(marks);
      chmodSync(marks, 0o1777);
      // What the user controls: a shared library for LD_PRELOAD, a script for NODE_OPTIONS, a
      // config file, and the environment file pam_env reads. Each payload leaves a mark named
      // after the uid it ran as.
      writeFileSync(`${scratch}/preload.c`, [
        '#include <stdio.h>', '#include <unistd.h>',
        `__attribute__((constructor)) static void mark(void) { char p[512]; snprintf(p, sizeof p, "${marks}/preload-uid-%d", (int)geteuid()); FILE *f = fopen(p, "w"); if (f) fclose(f); }`,
      ].join('\n'));
      execFileSync('gcc', ['-shared', '-fPIC', '-o', `${home}/p.so`, `${scratch}/preload.c`]);
      writeFileSync(`${home}/x.cjs`, `require('node:fs').writeFileSync('${marks}/node-options-uid-' + process.geteuid(), '');\n`);
      writeFileSync(`${home}/evil.env`, `LOGSPHERE_LOG_DIR=${home}/evil-log-from-config\n`);
      writeFileSync(`${home}/.pam_environment`, [
        `NODE_OPTIONS DEFAULT=--require=${home}/x.cjs`, `LD_PRELOAD DEFAULT=${home}/p.so`, `LOGSPHERE_LOG_DIR DEFAULT=${home}/evil-log`,
        `LOGSPHERE_CONFIG DEFAULT=${home}/evil.env`, `LOGSPHERE_RUN_DIR DEFAULT=${home}/evil-run`, '',
      ].join('\n'));
      for (const f of ['p.so', 'x.cjs', 'evil.env', '.pam_environment']) chownSync(`${home}/${f}`, uid, uid);

      // The payloads work: run by the user, each leaves its mark.
      execFileSync('runuser', ['-u', user, '--', '/usr/bin/env', `LD_PRELOAD=${home}/p.so`, '/bin/true']);
      execFileSync('runuser', ['-u', user, '--', '/usr/bin/env', `NODE_OPTIONS=--require=${home}/x.cjs`, nodePath, '-e', '0']);
      expect(readdirSync(marks).sort()).toEqual([`node-options-uid-${uid}`, `preload-uid-${uid}`]);
      rmSync(marks, { recursive: true });
      mkdirSync(marks);
      chmodSync(marks, 0o1777);

      // Control: where user_readenv is left on, the close_session hook runs the user's code as root.
      const control = spawnSync('pamtester', ['-I', 'tty=pts/44', unfixed.name, user, 'open_session', 'close_session'], { encoding: 'utf8' });
      expect(control.status, control.stderr).toBe(0);
      expect(readdirSync(marks).sort()).toEqual(['node-options-uid-0', 'preload-uid-0']);
      rmSync(marks, { recursive: true });
      mkdirSync(marks);
      chmodSync(marks, 0o1777);

      // Through the service the installer fixed: nothing of the user's ran, nothing was written
      // outside the log, and the log holds the user's open and close with one session id.
      const p = spawnSync('pamtester', ['-I', 'tty=pts/43', service.name, user, 'open_session', 'close_session'], { encoding: 'utf8' });
      expect(p.status, p.stderr).toBe(0);
      expect(readdirSync(marks)).toEqual([]);
      for (const path of [`${home}/evil-log`, `${home}/evil-log-from-config`, `${home}/evil-run`]) expect(existsSync(path), path).toBe(false);
      const records = readRecords(installedLog).filter((x) => x['user'] === user);
      expect(records.map((x) => [x.event, x['service'], x['tty']])).toEqual([
        ['session_open', service.name, 'pts/43'], ['session_close', service.name, 'pts/43'],
      ]);
      expect(records[1]?.['session_id']).toBe(records[0]?.['session_id']);
    } finally {
      unfixed.remove();
      spawnSync('userdel', ['-r', user], { stdio: 'ignore' });
    }
  });

  it("makes logsphere doctor fail while a service that runs the hook reads users' environment files", () => {
    const exposed = pamService('logsphere-exposed', ['@include common-session', 'session required pam_env.so user_readenv=1']);
    try {
      const d = spawnSync('/usr/local/bin/logsphere', ['doctor'], { encoding: 'utf8' });
      expect(d.status).toBe(1);
      expect(d.stdout).toMatch(new RegExp(`^FAIL\\s+pam environment: ${exposed.name} \\(${exposed.path} line 2\\): runs the hook`, 'm'));
    } finally {
      exposed.remove();
    }
    const d = spawnSync('/usr/local/bin/logsphere', ['doctor'], { encoding: 'utf8' });
    expect(d.stdout).toMatch(/^OK\s+pam environment: no service that runs the hook reads users' environment files/m);
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
    expect(auth[unix + 1]).toMatch(/^auth\s+optional\s+pam_exec\.so quiet seteuid \/usr\/local\/lib\/logsphere\/logsphere-hook auth-failure$/);
    expect(auth[unix + 2]).toMatch(/^auth\s+requisite\s+pam_deny\.so/);
    const service = pamService('logsphere-test', ['@include common-auth', 'account required pam_permit.so']);
    try {
      const p = spawnSync('pamtester', ['-I', 'rhost=198.51.100.77', service.name, 'nosuchuser-ls', 'authenticate'], { encoding: 'utf8', input: '' });
      expect(p.status).not.toBe(0);
      const records = readRecords(installedLog).filter((x) => x['service'] === service.name);
      expect(records).toEqual([expect.objectContaining({ event: 'auth_failure', user: 'nosuchuser-ls', rhost: '198.51.100.77', service: service.name, uid: null, source: 'pam' })]);
      expect(JSON.stringify(records)).not.toMatch(/password|authtok/i);
    } finally {
      service.remove();
    }
  });

  it('uninstalls everything it added and restores /etc/pam.d byte for byte', () => {
    const r = install(['--uninstall', ...(logExisted ? [] : ['--purge'])]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain(`PAM: ${sshdLike?.path} restored as it was before the install`);
    expect(r.stdout).toContain(`PAM: /etc/pam.d/${vendorService} removed (the vendor's file is read again)`);
    expect(snapshot('/etc/pam.d')).toEqual(pamBefore);
    expect(lstatSync(`/etc/pam.d/${linkedService}`).isSymbolicLink()).toBe(true);
    expect(readFileSync(`${scratch}/linked-target`, 'utf8')).toBe(linkedText);
    for (const path of [
      '/usr/local/lib/logsphere', '/usr/local/bin/logsphere', '/usr/local/bin/logsphere-hook',
      '/usr/local/lib/systemd/system/logsphere-boot.service', '/usr/local/lib/tmpfiles.d/logsphere.conf',
      '/usr/share/pam-configs/logsphere', '/usr/share/pam-configs/logsphere-auth-failure', '/run/logsphere',
      '/usr/local/lib/systemd/system/logsphere-watch.service', '/usr/local/lib/systemd/system/logsphere-report.timer',
      '/usr/local/lib/systemd/system/logsphere-rotate.service', '/usr/local/lib/systemd/system/logsphere-rotate.timer',
      '/etc/cron.d/logsphere',
    ]) {
      expect(existsSync(path), path).toBe(false);
    }
  });

  it('--uninstall on a stack without pam-auth-update removes the marker and only a line carrying the hook', () => {
    const pamDir = `${scratch}/pam.d`;
    mkdirSync(pamDir, { recursive: true });
    const marker = '# logsphere: session accounting (scripts/install.sh)';
    writeFileSync(`${pamDir}/system-auth`, ['session required pam_unix.so', marker, 'session optional pam_exec.so quiet /usr/local/lib/logsphere/logsphere-hook', 'session optional pam_systemd.so', ''].join('\n'), { mode: 0o640 });
    chmodSync(`${pamDir}/system-auth`, 0o640);
    // An administrator removed the hook's line by hand and put another in its place.
    writeFileSync(`${pamDir}/system-login`, [marker, 'session required pam_limits.so', 'session optional pam_lastlog.so', ''].join('\n'));
    const r = install(['--uninstall'], { LOGSPHERE_PAM_DIR: pamDir });
    expect(r.status, r.stderr).toBe(0);
    expect(readFileSync(`${pamDir}/system-auth`, 'utf8')).toBe('session required pam_unix.so\nsession optional pam_systemd.so\n');
    expect(readFileSync(`${pamDir}/system-login`, 'utf8')).toBe('session required pam_limits.so\nsession optional pam_lastlog.so\n');
    expect(readdirSync(pamDir).sort()).toEqual(['system-auth', 'system-login']);
    expect(statSync(`${pamDir}/system-auth`).mode & 0o777).toBe(0o640);
  });
});
