// Processes as /proc shows them: a process's start time (with its pid, the identity of the process
// that called PAM), whether a session's process still runs, and which terminal its descendants
// use (under sshd, PAM_TTY says `ssh` and the pty is allocated after the session opens).

import { fs } from './fs.ts';

const { readdirSync, readFileSync, readlinkSync } = fs;

/**
 * Start time of a process in clock ticks since boot: field 22 of /proc/PID/stat. The command
 * name (field 2) may contain spaces and parentheses, so fields are counted after the last ')'.
 * Null when the process does not exist.
 */
export function processStartTicks(pid: number, procRoot = '/proc'): number | null {
  let stat: string;
  try {
    stat = readFileSync(`${procRoot}/${pid}/stat`, 'utf8');
  } catch {
    return null;
  }
  return parseStartTicks(stat);
}

export function parseStartTicks(stat: string): number | null {
  const close = stat.lastIndexOf(')');
  if (close < 0) return null;
  // After ')' come field 3 (state) onwards; field 22 is the 20th of them.
  const fields = stat.slice(close + 2).split(' ');
  const value = Number(fields[19]);
  return Number.isSafeInteger(value) && value >= 0 ? value : null;
}


/** True when `pid` runs and started at `pidStart` clock ticks after boot (not a reused pid). */
export function processRuns(pid: number, pidStart: number, procRoot = '/proc'): boolean {
  return processStartTicks(pid, procRoot) === pidStart;
}

function parentOf(stat: string): number | null {
  const close = stat.lastIndexOf(')');
  const ppid = Number(stat.slice(close + 2).split(' ')[1]);
  return Number.isSafeInteger(ppid) ? ppid : null;
}

/** Children of every process, read once from /proc. */
export function processTree(procRoot = '/proc'): Map<number, number[]> {
  const children = new Map<number, number[]>();
  for (const name of readdirSync(procRoot)) {
    if (!/^\d+$/.test(name)) continue;
    let stat: string;
    try {
      stat = readFileSync(`${procRoot}/${name}/stat`, 'utf8');
    } catch {
      continue;
    }
    const ppid = parentOf(stat);
    if (ppid === null || parseStartTicks(stat) === null) continue;
    const list = children.get(ppid) ?? [];
    list.push(Number(name));
    children.set(ppid, list);
  }
  return children;
}

/** The first /dev/pts/N held open (fd 0-2) by a descendant of `pid`, nearest first. */
export function descendantTerminal(pid: number, tree: Map<number, number[]>, procRoot = '/proc'): string | null {
  const queue = [...(tree.get(pid) ?? [])];
  const seen = new Set<number>([pid]);
  for (let next = queue.shift(); next !== undefined; next = queue.shift()) {
    if (seen.has(next)) continue;
    seen.add(next);
    for (const fd of [0, 1, 2]) {
      try {
        const target = readlinkSync(`${procRoot}/${next}/fd/${fd}`);
        if (/^\/dev\/pts\/\d+$/.test(target)) return target;
      } catch {
        // gone, or not ours to read
      }
    }
    queue.push(...(tree.get(next) ?? []));
  }
  return null;
}
