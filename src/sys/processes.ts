// Live processes: whether a session's process still runs, and which terminal its descendants
// use (under sshd, PAM_TTY says `ssh` and the pty is allocated after the session opens).

import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { parseStartTicks, processStartTicks } from './proc.ts';

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
  while (queue.length > 0) {
    const next = queue.shift() as number;
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
