// Runs the built hook as a real subprocess, as pam_exec does: a clean environment holding only
// what the fixture gives (no PATH).
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { hookBundle, nodePath } from './paths.ts';

export interface HookRun {
  status: number | null;
  signal: NodeJS.Signals | null;
  stderr: string;
  ms: number;
}

export function runHookProcess(env: Record<string, string>, args: string[] = []): HookRun {
  const start = performance.now();
  const r = spawnSync(nodePath, [hookBundle, ...args], { env, encoding: 'utf8', timeout: 30_000 });
  return { status: r.status, signal: r.signal, stderr: r.stderr, ms: performance.now() - start };
}

export function runHookProcessAsync(env: Record<string, string>, args: string[] = []): Promise<HookRun> {
  const start = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(nodePath, [hookBundle, ...args], { env, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (status, signal) => resolve({ status, signal, stderr, ms: performance.now() - start }));
  });
}

/**
 * A temporary directory with log/ and run/ paths for one test, removed by cleanup(). The hook
 * takes its configuration only from a root-owned file named on its command line (as on a PAM
 * line): hook() writes one and returns the arguments that name it. env() is the same
 * configuration as environment variables, for the CLI.
 */
export function scratch(prefix = 'logsphere-test-') {
  const dir = mkdtempSync(`${tmpdir()}/${prefix}`);
  let configs = 0;
  const settings = (extra: Record<string, string>): Record<string, string> => ({
    LOGSPHERE_LOG_DIR: `${dir}/log`,
    LOGSPHERE_RUN_DIR: `${dir}/run`,
    ...extra,
  });
  return {
    dir,
    logDir: `${dir}/log`,
    logFile: `${dir}/log/sessions.jsonl`,
    runDir: `${dir}/run`,
    env(extra: Record<string, string> = {}): Record<string, string> {
      return { ...settings(extra), LOGSPHERE_CONFIG: '/dev/null' };
    },
    /** Writes a config file (mode 0644) and returns the hook's arguments: --config=FILE, then `args`. */
    hook(args: string[] = [], extra: Record<string, string> = {}): string[] {
      const file = `${dir}/hook-${++configs}.env`;
      writeConfigFile(file, settings(extra));
      return [`--config=${file}`, ...args];
    },
    cleanup() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A config file as an administrator writes one: KEY=VALUE lines, mode 0644. */
export function writeConfigFile(path: string, values: Record<string, string>, mode = 0o644): void {
  writeFileSync(path, Object.entries(values).map(([k, v]) => `${k}=${v}\n`).join(''), { mode });
  chmodSync(path, mode);
}

export function pamEnv(type: string, fields: Record<string, string> = {}): Record<string, string> {
  return { PAM_TYPE: type, PAM_USER: 'root', PAM_SERVICE: 'logsphere-test', PAM_TTY: 'pts/7', PAM_RHOST: '198.51.100.4', ...fields };
}
