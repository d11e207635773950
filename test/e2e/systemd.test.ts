// The unit and the tmpfiles.d snippet as systemd itself reads them.
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../helpers/paths.ts';
import { missing } from '../helpers/require.ts';
import { lookupGid } from '../../src/sys/accounts.ts';

describe.skipIf(missing({ commands: ['/usr/bin/systemd-analyze', '/usr/bin/systemd-tmpfiles'] }))('systemd files', () => {
  it('logsphere-boot.service passes systemd-analyze verify', () => {
    const r = spawnSync('systemd-analyze', ['verify', `${repoRoot}services/logsphere-boot.service`], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  it.each(['logsphere-watch.service', 'logsphere-report.service', 'logsphere-report.timer', 'logsphere-rotate.service', 'logsphere-rotate.timer'])('%s passes systemd-analyze verify', (unit) => {
    const r = spawnSync('systemd-analyze', ['verify', `${repoRoot}services/${unit}`], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  it('logsphere-watch.service is long-running, restarts on failure and is hardened', () => {
    const unit = readFileSync(`${repoRoot}services/logsphere-watch.service`, 'utf8');
    expect(unit).toMatch(/^Type=simple$/m);
    expect(unit).toMatch(/^Restart=on-failure$/m);
    expect(unit).toMatch(/^ExecStart=\/usr\/bin\/node \/usr\/local\/lib\/logsphere\/logsphere watch$/m);
    const r = spawnSync('systemd-analyze', ['security', '--offline=yes', `${repoRoot}services/logsphere-watch.service`], { encoding: 'utf8' });
    const score = Number(/Overall exposure level for logsphere-watch\.service: ([\d.]+)/.exec(r.stdout)?.[1]);
    expect(score, r.stdout.slice(-300)).toBeLessThan(3);
    const timer = readFileSync(`${repoRoot}services/logsphere-report.timer`, 'utf8');
    expect(timer).toMatch(/^OnCalendar=Mon \*-\*-\* 06:00:00$/m);
    expect(timer).toMatch(/^Persistent=true$/m);
  });

  it('logsphere-rotate.service runs logsphere rotate daily, hardened, writing only the log, run and state directories', () => {
    const unit = readFileSync(`${repoRoot}services/logsphere-rotate.service`, 'utf8');
    expect(unit).toMatch(/^Type=oneshot$/m);
    expect(unit).toMatch(/^ExecStart=\/usr\/bin\/node \/usr\/local\/lib\/logsphere\/logsphere rotate$/m);
    expect(unit).toMatch(/^ReadWritePaths=\/var\/log\/logsphere \/run\/logsphere -\/var\/lib\/logsphere$/m);
    expect(unit).toMatch(/^ProtectSystem=strict$/m);
    const r = spawnSync('systemd-analyze', ['security', '--offline=yes', `${repoRoot}services/logsphere-rotate.service`], { encoding: 'utf8' });
    const score = Number(/Overall exposure level for logsphere-rotate\.service: ([\d.]+)/.exec(r.stdout)?.[1]);
    expect(score, r.stdout.slice(-300)).toBeLessThan(2);
    const timer = readFileSync(`${repoRoot}services/logsphere-rotate.timer`, 'utf8');
    expect(timer).toMatch(/^OnCalendar=daily$/m);
    expect(timer).toMatch(/^Persistent=true$/m);
  });

  it('systemd-analyze verify fails on a broken unit (the check can fail)', () => {
    const dir = mkdtempSync(`${tmpdir()}/ls-unit-`);
    try {
      const broken = `${dir}/broken.service`;
      spawnSync('/bin/sh', ['-c', `sed 's|^ExecStart=/usr/bin/node|ExecStart=/usr/bin/no-such-node|' ${repoRoot}services/logsphere-boot.service > ${broken}`]);
      const r = spawnSync('systemd-analyze', ['verify', broken], { encoding: 'utf8' });
      expect(r.status).not.toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('logsphere-boot.service runs boot on start and shutdown on stop, ordered for shutdown', () => {
    const unit = readFileSync(`${repoRoot}services/logsphere-boot.service`, 'utf8');
    expect(unit).toMatch(/^Type=oneshot$/m);
    expect(unit).toMatch(/^RemainAfterExit=yes$/m);
    expect(unit).toMatch(/^ExecStart=\/usr\/bin\/node \/usr\/local\/lib\/logsphere\/logsphere-hook boot$/m);
    expect(unit).toMatch(/^ExecStop=\/usr\/bin\/node \/usr\/local\/lib\/logsphere\/logsphere-hook shutdown$/m);
    expect(unit).toMatch(/^Before=.*shutdown\.target/m);
    expect(unit).toMatch(/^After=.*local-fs\.target/m);
  });

  it('tmpfiles.d/logsphere.conf creates the directories with their modes', () => {
    const root = mkdtempSync(`${tmpdir()}/ls-root-`);
    try {
      // --root resolves users and groups inside the root: give it this host's databases.
      mkdirSync(`${root}/etc`);
      copyFileSync('/etc/passwd', `${root}/etc/passwd`);
      copyFileSync('/etc/group', `${root}/etc/group`);
      const conf = `${repoRoot}services/tmpfiles.d/logsphere.conf`;
      const r = spawnSync('systemd-tmpfiles', ['--create', `--root=${root}`, conf], { encoding: 'utf8' });
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
      const mode = (p: string) => statSync(`${root}${p}`).mode & 0o7777;
      expect(mode('/run/logsphere')).toBe(0o755);
      expect(mode('/run/logsphere/sessions')).toBe(0o755);
      expect(mode('/run/logsphere/spool')).toBe(0o700);
      expect(mode('/run/logsphere/writers')).toBe(0o700);
      expect(mode('/var/log/logsphere')).toBe(0o750);
      expect(mode('/var/lib/logsphere')).toBe(0o755);
      if (process.getuid?.() === 0) expect(statSync(`${root}/var/log/logsphere`).gid).toBe(lookupGid('adm'));
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
