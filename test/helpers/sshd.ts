// A private sshd on loopback (RECIPES.md): its own PAM service through a symlinked program
// name, its own keys and test user, the built hook on its PAM stack. Stopped by its own pid.
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { hookBundle } from './paths.ts';
import { writeConfigFile } from './hook.ts';
import { pamService, type PamService } from './pam.ts';
import { freePort } from './rsyslog.ts';

export interface Sshd {
  dir: string;
  user: string;
  uid: number;
  port: number;
  service: string;
  logFile: string;
  runDir: string;
  /** With the syslog option: what rsyslogd wrote, classic and RFC 3339 timestamps. */
  authLog: string;
  authLogRfc3339: string;
  /** ssh client arguments for a key login, before the remote command. */
  sshArgs(extra?: string[]): string[];
  stop(): Promise<void>;
}

/**
 * Asks `probe` every 25 ms until it gives a value, for at most `ms`. A probe that reads a log
 * while a writer appends to it may meet a line not yet whole (the kernel shows a write page by
 * page): its JSON.parse's SyntaxError means "not yet", and is thrown only when time is up.
 * Any other error ends the wait at once.
 */
async function waitFor<T>(what: string, probe: () => T | null | Promise<T | null>, ms = 15_000): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    let value: T | null = null;
    let partial: SyntaxError | null = null;
    try {
      value = await probe();
    } catch (error) {
      if (!(error instanceof SyntaxError)) throw error;
      partial = error;
    }
    if (value !== null) return value;
    if (Date.now() > until) throw partial ?? new Error(`Timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
export { waitFor };

export function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port }, () => {
      socket.destroy();
      resolve(true);
    });
    socket.on('error', () => resolve(false));
  });
}

export interface SshdOptions {
  /**
   * Log through syslog to a private rsyslogd instead of sshd's -E file: sshd runs in a mount
   * namespace of its own whose /dev/log is the private rsyslogd's socket, and rsyslogd writes
   * `authLog` (classic timestamps) and `authLogRfc3339` as a host's auth.log would be.
   */
  syslog?: boolean;
}

/** A private rsyslogd listening on its own socket; stopped by its own pid. */
async function startRsyslog(dir: string): Promise<{ socket: string; stop: () => Promise<void> }> {
  mkdirSync(`${dir}/rsyslog`, { mode: 0o700 });
  const socket = `${dir}/rsyslog/log.sock`;
  writeFileSync(
    `${dir}/rsyslog/rsyslog.conf`,
    [
      `global(workDirectory="${dir}/rsyslog")`,
      'module(load="imuxsock" SysSock.Use="off")',
      `input(type="imuxsock" Socket="${socket}" RateLimit.Interval="0")`,
      `action(type="omfile" file="${dir}/auth.log" template="RSYSLOG_TraditionalFileFormat")`,
      `action(type="omfile" file="${dir}/auth-rfc3339.log" template="RSYSLOG_FileFormat")`,
    ].join('\n') + '\n',
  );
  execFileSync('/usr/sbin/rsyslogd', ['-N1', '-f', `${dir}/rsyslog/rsyslog.conf`], { stdio: 'ignore' });
  const daemon = spawn('/usr/sbin/rsyslogd', ['-n', '-f', `${dir}/rsyslog/rsyslog.conf`, '-i', `${dir}/rsyslog/rsyslogd.pid`], { stdio: 'ignore' });
  await waitFor('rsyslogd to create its socket', () => (existsSync(socket) ? true : null));
  return {
    socket,
    async stop() {
      if (daemon.exitCode === null && daemon.signalCode === null) daemon.kill('SIGTERM');
      await waitFor('rsyslogd to exit', () => (daemon.exitCode !== null || daemon.signalCode !== null ? true : null));
    },
  };
}

/** The shell commands that give a mount namespace a private /dev whose /dev/log is `socket`. */
function privateDev(dir: string, socket: string): string {
  return [
    `mkdir -p ${dir}/hostpts`, `mount --bind /dev/pts ${dir}/hostpts`, 'mount -t tmpfs -o mode=755,nosuid tmpfs /dev',
    'mknod -m 666 /dev/null c 1 3', 'mknod -m 666 /dev/zero c 1 5', 'mknod -m 666 /dev/random c 1 8', 'mknod -m 666 /dev/urandom c 1 9',
    'mknod -m 666 /dev/tty c 5 0', 'mkdir /dev/pts', `mount --bind ${dir}/hostpts /dev/pts`, `umount ${dir}/hostpts`, 'ln -s pts/ptmx /dev/ptmx',
    `ln -s ${socket} /dev/log`,
  ].join(' && ');
}

export async function startSshd(options: SshdOptions = {}): Promise<Sshd> {
  const dir = mkdtempSync(`${tmpdir()}/logsphere-sshd-`);
  chmodSync(dir, 0o755);
  const tag = randomBytes(3).toString('hex');
  const user = `lst${tag}`;
  const port = await freePort();
  mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });

  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-f', `${dir}/host_key`, '-N', '']);
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-f', `${dir}/client_key`, '-N', '']);
  execFileSync('useradd', ['-m', '-s', '/bin/bash', user]);
  execFileSync('chpasswd', [], { input: `${user}:${randomBytes(12).toString('hex')}\n` });
  const uid = Number(execFileSync('id', ['-u', user], { encoding: 'utf8' }).trim());
  execFileSync('install', ['-d', '-m700', '-o', user, '-g', user, `/home/${user}/.ssh`]);
  execFileSync('install', ['-m600', '-o', user, '-g', user, `${dir}/client_key.pub`, `/home/${user}/.ssh/authorized_keys`]);

  // The hook's configuration is a root-owned file named on its PAM line; the CLI reads the same
  // file through LOGSPHERE_CONFIG.
  writeConfigFile(`${dir}/logsphere.env`, { LOGSPHERE_LOG_DIR: `${dir}/log`, LOGSPHERE_RUN_DIR: `${dir}/run`, LOGSPHERE_STATE_DIR: dir, LOGSPHERE_FSYNC: 'false' });
  const hook = `${hookBundle} --config=${dir}/logsphere.env`;
  const pam: PamService = pamService('logsphere-sshd', [
    `auth [success=2 default=ignore] pam_unix.so`,
    `auth optional pam_exec.so quiet seteuid ${hook} auth-failure`,
    'auth requisite pam_deny.so',
    'auth required pam_permit.so',
    'account required pam_unix.so',
    'session required pam_permit.so',
    // As in Debian's sshd stack: the login uid, and with it the audit session every process of the
    // login carries (what finds a session's shell after its [priv] monitor is gone).
    'session required pam_loginuid.so',
    'session required pam_unix.so',
    `session optional pam_exec.so quiet seteuid ${hook}`,
  ]);
  // sshd uses its program name as the PAM service name.
  symlinkSync('/usr/sbin/sshd', `${dir}/${pam.name}`);
  writeFileSync(
    `${dir}/sshd_config`,
    [
      `Port ${port}`, 'ListenAddress 127.0.0.1', `HostKey ${dir}/host_key`, `PidFile ${dir}/sshd.pid`,
      'UsePAM yes', 'PubkeyAuthentication yes', 'PasswordAuthentication yes', 'KbdInteractiveAuthentication no',
      `AllowUsers ${user}`, 'UseDNS no', 'PrintMotd no', 'PrintLastLog no', 'MaxStartups 50',
    ].join('\n') + '\n',
  );
  execFileSync(`${dir}/${pam.name}`, ['-t', '-f', `${dir}/sshd_config`]);
  const rsyslog = options.syslog ? await startRsyslog(dir) : null;
  const daemon: ChildProcess = rsyslog
    ? spawn('/usr/bin/unshare', ['--mount', '--propagation', 'private', '/bin/sh', '-c', `${privateDev(dir, rsyslog.socket)} && exec ${dir}/${pam.name} -D -f ${dir}/sshd_config`], { stdio: 'ignore' })
    : spawn(`${dir}/${pam.name}`, ['-D', '-f', `${dir}/sshd_config`, '-E', `${dir}/sshd.log`], { stdio: 'ignore' });
  await waitFor('sshd to listen', async () => ((await portOpen(port)) ? true : daemon.exitCode !== null ? Promise.reject(new Error(`sshd exited with ${daemon.exitCode}`)) : null));

  return {
    dir, user, uid, port, service: pam.name, logFile: `${dir}/log/sessions.jsonl`, runDir: `${dir}/run`,
    authLog: `${dir}/auth.log`, authLogRfc3339: `${dir}/auth-rfc3339.log`,
    sshArgs(extra = []) {
      // ssh takes the first value of an option: the extra ones come first.
      return [
        ...extra, '-i', `${dir}/client_key`, '-p', String(port), '-o', 'StrictHostKeyChecking=no',
        '-o', `UserKnownHostsFile=${dir}/known_hosts`, '-o', 'BatchMode=yes', `${user}@127.0.0.1`,
      ];
    },
    async stop() {
      const pid = Number(readFileSync(`${dir}/sshd.pid`, 'utf8').trim());
      if (pid === daemon.pid) process.kill(pid, 'SIGTERM');
      await waitFor('sshd to exit', () => (daemon.exitCode !== null || daemon.signalCode !== null ? true : null));
      await rsyslog?.stop();
      spawnSync('pkill', ['-KILL', '-u', user]);
      await waitFor(`processes of ${user} to end`, () => (spawnSync('pgrep', ['-u', user]).status === 1 ? true : null));
      execFileSync('userdel', ['-r', user], { stdio: 'ignore' });
      pam.remove();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * An ssh login with a pty that ends when told: the shell prints its tty and waits for a line. The
 * session lasts until the hook's watcher has found the pty (its file beside the open-session
 * entry), as a person's session does; then the line ends it. Resolves with the open, the close
 * and the pts the shell saw.
 */
export async function ptySession(sshd: Sshd, records: () => Array<Record<string, unknown>>): Promise<{ open: Record<string, unknown>; close: Record<string, unknown>; pts: string }> {
  const before = records().length;
  const client = spawn('ssh', [...sshd.sshArgs(['-tt']), 'tty; read line'], { stdio: ['pipe', 'pipe', 'ignore'] });
  let output = '';
  client.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  try {
    const pts = await waitFor('the tty the shell prints', () => /\/dev\/(pts\/\d+)/.exec(output)?.[1] ?? null);
    const open = await waitFor('the open record', () => records().slice(before).find((x) => x['event'] === 'session_open') ?? null);
    const entry = `${String(open['pid'])}-${String(open['pid_start'])}-`;
    await waitFor('the pty found for the session', () => (readdirSync(`${sshd.runDir}/sessions`).some((n) => n.startsWith(entry) && n.endsWith('.pty')) ? true : null));
    client.stdin?.end('done\n');
    const close = await waitFor('the close record', () => records().find((x) => x['event'] === 'session_close' && x['session_id'] === open['session_id']) ?? null);
    return { open, close, pts };
  } finally {
    client.kill('SIGKILL');
  }
}
