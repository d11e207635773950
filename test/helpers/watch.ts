// A `logsphere watch` process under test: its stdout alert lines and stderr collected as they
// come, stopped by its own pid.
import { spawn, type ChildProcess } from 'node:child_process';
import { cliBundle, nodePath } from './paths.ts';
import { waitFor } from './sshd.ts';

export interface WatchProcess {
  child: ChildProcess;
  alerts: () => Array<Record<string, unknown>>;
  stderr: () => string;
  /** Waits until `n` alerts were printed (or the process ended), then returns them. */
  waitAlerts: (n: number, what?: string) => Promise<Array<Record<string, unknown>>>;
  stop: (signal?: NodeJS.Signals) => Promise<number | null>;
}

export function startWatch(args: string[], env: Record<string, string>): WatchProcess {
  const child = spawn(nodePath, [cliBundle, 'watch', ...args], { env: { ...env, PATH: process.env['PATH'] ?? '/usr/bin:/bin' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const alerts = () => out.split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as Record<string, unknown>);
  return {
    child,
    alerts,
    stderr: () => err,
    waitAlerts: (n, what = `${n} alerts`) =>
      waitFor(what, () => (alerts().length >= n || child.exitCode !== null ? alerts() : null), 30_000),
    async stop(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}

/** Runs the CLI without blocking this process (servers in the test answer meanwhile). */
export function runCli(args: string[], env: Record<string, string>): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(nodePath, [cliBundle, ...args], { env: { ...env, PATH: process.env['PATH'] ?? '/usr/bin:/bin' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}
