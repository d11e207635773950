// Runs the built hook as a real subprocess, as pam_exec does: a clean environment holding only
// what the fixture gives (no PATH).
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { hookBundle, nodePath } from './paths.ts';

export interface HookRun {
  status: number | null;
  signal: NodeJS.Signals | null;
  stderr: string;
  ms: number;
}

export function runHook(env: Record<string, string>, args: string[] = []): HookRun {
  const start = performance.now();
  const r = spawnSync(nodePath, [hookBundle, ...args], { env, encoding: 'utf8', timeout: 30_000 });
  return { status: r.status, signal: r.signal, stderr: r.stderr, ms: performance.now() - start };
}

export function runHookAsync(env: Record<string, string>, args: string[] = []): Promise<HookRun> {
  const start = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(nodePath, [hookBundle, ...args], { env, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (status, signal) => resolve({ status, signal, stderr, ms: performance.now() - start }));
  });
}

/** A temporary directory with log/ and run/ paths for one test, removed by cleanup(). */
export function scratch(prefix = 'logsphere-test-') {
  const dir = mkdtempSync(`${tmpdir()}/${prefix}`);
  return {
    dir,
    logDir: `${dir}/log`,
    logFile: `${dir}/log/sessions.jsonl`,
    runDir: `${dir}/run`,
    env(extra: Record<string, string> = {}): Record<string, string> {
      return { LOGSPHERE_LOG_DIR: `${dir}/log`, LOGSPHERE_RUN_DIR: `${dir}/run`, LOGSPHERE_CONFIG: `${dir}/none.env`, ...extra };
    },
    cleanup() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export function pamEnv(type: string, fields: Record<string, string> = {}): Record<string, string> {
  return { PAM_TYPE: type, PAM_USER: 'root', PAM_SERVICE: 'logsphere-test', PAM_TTY: 'pts/7', PAM_RHOST: '198.51.100.4', ...fields };
}
