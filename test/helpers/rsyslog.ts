// Private rsyslogd instances for tests (RECIPES.md): a configuration checked with -N1, run in the
// foreground with its own pid file and work directory, stopped by its own pid.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { waitFor } from './sshd.ts';

export const rsyslogd = '/usr/sbin/rsyslogd';

export interface Rsyslog {
  dir: string;
  child: ChildProcess;
  stop(): Promise<void>;
}

/** Starts rsyslogd with `config` (its work directory is set here); `ready` says when it is up. */
export async function startRsyslog(dir: string, config: string[], ready: () => boolean | Promise<boolean>): Promise<Rsyslog> {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const conf = `${dir}/rsyslog.conf`;
  writeFileSync(conf, [`global(workDirectory="${dir}" maxMessageSize="64k")`, ...config].join('\n') + '\n');
  execFileSync(rsyslogd, ['-N1', '-f', conf], { stdio: 'pipe' });
  const child = spawn(rsyslogd, ['-n', '-f', conf, '-i', `${dir}/rsyslogd.pid`], { stdio: 'ignore' });
  await waitFor(`rsyslogd in ${dir} to start`, async () => ((await ready()) ? true : child.exitCode !== null ? Promise.reject(new Error(`rsyslogd in ${dir} exited with ${child.exitCode}`)) : null));
  return {
    dir,
    child,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await waitFor('rsyslogd to exit', () => (child.exitCode !== null || child.signalCode !== null ? true : null), 30_000);
    },
  };
}

/** A TCP port free on loopback right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address !== null ? address.port : 0));
    });
  });
}
