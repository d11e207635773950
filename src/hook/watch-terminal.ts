// The search for an sshd session's pty. sshd gives PAM `ssh` as the tty and allocates the pty only
// after open_session returns, and by close_session the session's processes are gone: the pty can
// be seen only while the session starts. So the hook, after recording an open with tty `ssh`,
// leaves this search running as a detached process (`logsphere-hook watch-terminal ...`, started
// with an empty environment): it looks at the PAM process's descendants until one holds a
// pts/N, the command turns out to run without one, the PAM process ends, or time is up, and
// keeps what it found beside the open-session entry, where the close takes it (open-sessions.ts).

import { saveSessionTerminal } from '../store/open-sessions.ts';
import { processRuns, sessionTerminal } from '../sys/processes.ts';
import { watchCommand } from './plan.ts';
import type { TerminalWatch } from './run-hook.ts';

export { watchCommand };

/** How long a session may take to ask for its pty (a client far away, a slow first packet). */
const limitMs = 10_000;
const firstWaitMs = 10;
const longestWaitMs = 200;

export type WatchOutcome = 'saved' | 'closed' | 'none' | 'ended' | 'timeout';

export interface WatchEnvironment {
  /** Processes that are not the session's: the watcher and the hook that started it. */
  skip: ReadonlySet<number>;
  nowMs: () => number;
  sleep: (ms: number) => Promise<void>;
  procRoot?: string;
}

/** The watcher's arguments, in the order watchArguments() reads them back. */
export function watchArgs(watch: TerminalWatch): string[] {
  return [watchCommand, watch.runDir, watch.entry, String(watch.pid), String(watch.pidStart)];
}

/** Reads the arguments after `watch-terminal`; null when they are not what the hook passes. */
export function watchArguments(args: readonly string[]): TerminalWatch | null {
  const [runDir, entry, pid, pidStart, ...rest] = args;
  if (rest.length > 0 || runDir === undefined || !runDir.startsWith('/') || entry === undefined || pid === undefined || pidStart === undefined) return null;
  if (!/^\d+-\d+-[0-9a-f]{16}\.json$/.test(entry) || !/^\d{1,10}$/.test(pid) || !/^\d{1,20}$/.test(pidStart)) return null;
  return { runDir, entry, pid: Number(pid), pidStart: Number(pidStart) };
}

/** Looks for the session's pty, more and more calmly, until there is an answer. */
export async function watchTerminal(watch: TerminalWatch, env: WatchEnvironment): Promise<WatchOutcome> {
  const procRoot = env.procRoot ?? '/proc';
  const until = env.nowMs() + limitMs;
  for (let wait = firstWaitMs; ; wait = Math.min(wait * 2, longestWaitMs)) {
    if (!processRuns(watch.pid, watch.pidStart, procRoot)) return 'ended';
    const found = sessionTerminal(watch.pid, env.skip, procRoot);
    if (found === 'none') return 'none';
    if (found !== 'unknown') return saveSessionTerminal(watch.runDir, watch.entry, found.pty) ? 'saved' : 'closed';
    if (env.nowMs() >= until) return 'timeout';
    await env.sleep(wait);
  }
}
