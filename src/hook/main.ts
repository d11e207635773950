// Entry point of logsphere-hook, run by pam_exec (and by logsphere-boot.service). It never fails
// a login: every outcome it can return from exits 0, problems go to stderr through pino, and it
// gives up 2 s after it started. Its configuration is the root-owned config file alone
// (config-file.ts): pam_exec hands it the PAM environment, which users can write to.
//
// The deadline: log-directory I/O runs on libuv's thread pool, so the main thread stays free
// when a filesystem hangs. Once 2 s have passed and a filesystem call has been waiting for 1 s,
// with one of its threads blocked in the kernel (not merely waiting for CPU, as in a login storm,
// where the hook is let finish), the hook gives up: the record is kept in the spool unless its
// write(2) already returned, claimed spool entries are put back, and the hook ends. A thread stuck in a hung filesystem call
// cannot be joined, and Node's process.exit() joins the pool, so in that one case the hook ends
// itself with SIGKILL (pam_exec logs the signal; the line is optional, the login goes on).
//
// After an open under sshd, the hook leaves a detached watcher behind to find the session's pty
// (watch-terminal.ts); the watcher is this same file run with `watch-terminal`.
//
// Every login pays for what this file loads at start, so what a normal open or close does not
// need is imported where it is used (`await import`), and the bundle compiles it only then
// (scripts/build.mjs): the diagnostics (pino), the pty watcher. The config file is checked by the
// plain validator (validate-plain.ts), not by Ajv's 30 KB of generated code.

import { loadConfig, type Config } from '../config/config.ts';
import { hookConfigSources } from '../config/config-file.ts';
import { validatePlain } from '../config/validate-plain.ts';
import { nowMicros } from '../record/time.ts';
import { oldestPendingMs } from '../store/fs-async.ts';
import { blockedInKernel, threadStates } from '../sys/threads.ts';
import { spoolLines } from '../store/spool.ts';
import { hookArguments, watchCommand } from './plan.ts';
import { newProgress, runHook, type TerminalWatch } from './run-hook.ts';
import { builtin } from '../sys/builtin.ts';

const deadlineMs = 2000;
const stuckCallMs = 1000;
const recheckMs = 100;

async function report(level: 'warn' | 'error', fields: object, message: string): Promise<void> {
  try {
    const { diagnostics } = await import('../diag/logger.ts');
    (await diagnostics('logsphere-hook'))[level](fields, message);
  } catch {
    // Nowhere left to report to; the login must go on regardless.
  }
}

/**
 * Starts the pty watcher, detached, with nothing of the PAM environment (users can write to it).
 * node:child_process is loaded only here: it costs milliseconds that other logins need not pay.
 */
async function startTerminalWatch(watch: TerminalWatch): Promise<void> {
  try {
    const { spawn } = builtin<typeof import('node:child_process')>('node:child_process');
    const { watchArgs } = await import('./watch-terminal.ts');
    const script = process.argv[1];
    if (script === undefined) return;
    spawn(process.execPath, [script, ...watchArgs(watch)], { detached: true, stdio: 'ignore', env: {} }).unref();
  } catch (error) {
    await report('warn', { err: error }, `Cannot start the search for the pty of ${watch.entry}`);
  }
}

async function watch(args: readonly string[]): Promise<void> {
  const { watchArguments, watchTerminal } = await import('./watch-terminal.ts');
  const request = watchArguments(args);
  if (request === null) return void (await report('error', {}, `Nothing watched: unexpected arguments ${args.join(' ')}`));
  try {
    await watchTerminal(request, {
      // While the hook that started it lives, the watcher is one of the session's processes.
      skip: new Set([process.pid, process.ppid]),
      nowMs: () => performance.now(),
      sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    });
  } catch (error) {
    await report('warn', { err: error }, error instanceof Error ? error.message : String(error));
  }
}

type WaitAsync = (word: Int32Array, index: number, value: number, timeoutMs: number) => { async: false; value: string } | { async: true; value: Promise<string> };

/**
 * Calls `run` once `ms` have passed, without keeping the process alive (as an unref'd timer
 * would). It waits on a word nobody notifies (Atomics.waitAsync): node's timers would do the
 * same, but their first use compiles node's timer code, a quarter of a millisecond at every
 * login, where V8's wait is built in. Node runs the wait's timeout on an unref'd libuv timer,
 * which fires while a filesystem call is pending — the case the deadline is for.
 */
function after(ms: number, run: () => void): void {
  const waitAsync = (Atomics as unknown as { waitAsync: WaitAsync }).waitAsync;
  const waited = waitAsync(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
  void (waited.async ? waited.value : Promise.resolve()).then(run);
}

async function main(): Promise<void> {
  let config: Config | undefined;
  let finished = false;
  const progress = newProgress();

  const giveUp = async () => {
    if (finished) return;
    const keep = config !== undefined && progress.pending !== null && !progress.written;
    let spooled = false;
    try {
      // Spooled lines claimed for this append are in the file once it was written (the write
      // carries them ahead of the record): put back, a later writer would write them again.
      if (progress.written) progress.claimed?.commit();
      else progress.claimed?.release();
      if (keep && config && progress.pending) {
        spoolLines(config.runDir, [progress.pending]);
        spooled = true;
      }
    } catch {
      // reported below
    }
    await report('error', { event_id: progress.pending?.id, written: progress.written, spooled }, `Cannot append record within ${deadlineMs} ms: giving up`);
    process.kill(process.pid, 'SIGKILL');
  };
  // Timers run before I/O callbacks in libuv's loop: setImmediate lets a write that completed
  // just in time be seen first, so a written record is not spooled a second time.
  let stopped = false;
  const check = () => {
    if (stopped) return;
    const waited = oldestPendingMs();
    if (waited >= stuckCallMs && blockedInKernel(threadStates()).length > 0) setImmediate(() => void giveUp());
    else after(Math.max(recheckMs, stuckCallMs - waited), check);
  };
  after(Math.max(0, deadlineMs - process.uptime() * 1000), check);

  try {
    const argv = hookArguments(process.argv.slice(2));
    if ('error' in argv) throw new Error(`Nothing recorded: ${argv.error}`);
    // The configuration comes from the root-owned file alone; the environment (the PAM
    // environment, which users can write to) is read for the PAM items only (pam/context.ts).
    config = loadConfig(hookConfigSources(argv.configPath), validatePlain);
    const watches: Array<Promise<void>> = [];
    const outcome = await runHook(
      { args: argv.args, env: process.env, config, parentPid: process.ppid, now: nowMicros, watchTerminal: (w) => watches.push(startTerminalWatch(w)) },
      progress,
    );
    await Promise.all(watches);
    finished = true;
    if (outcome.status === 'skipped') {
      if (outcome.unexpected) await report('warn', {}, `Nothing recorded: ${outcome.reason}`);
      return;
    }
    const { result } = outcome;
    if (result.status === 'spooled') {
      await report('warn', { event_id: progress.pending?.id, path: config.logFile, err: result.error }, `Cannot append record to ${config.logFile}: kept in ${config.runDir}/spool`);
      return;
    }
    if (result.syncError) await report('warn', { path: config.logFile, err: result.syncError }, `Cannot sync ${config.logFile}`);
    if (result.rejected > 0) {
      await report('warn', { rejected: result.rejected }, `Refusing to append spooled entries that are not logsphere/1 records: ${result.rejected} moved to ${config.runDir}/spool/rejected`);
    }
  } catch (error) {
    finished = true;
    await report('error', { err: error }, error instanceof Error ? error.message : String(error));
  } finally {
    stopped = true;
  }
}

void (process.argv[2] === watchCommand ? watch(process.argv.slice(3)) : main()).finally(() => {
  process.exitCode = 0;
});
