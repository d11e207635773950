// Processes as /proc shows them: a process's start time (with its pid, the identity of the process
// that called PAM), whether a session's process still runs, the kernel audit session that ties
// together every process of a login, and which terminal a session's processes use (under sshd,
// PAM_TTY says `ssh` and the pty is allocated after the session opens).

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

/** After this many questions, processChecker() lists /proc once rather than try a stat per pid. */
const askedBeforeListing = 8;

/**
 * processRuns() for many sessions at once (`sessions` over thousands of open ones): the first few
 * by their /proc/PID/stat, then a pid missing from one listing of /proc runs no more, without a
 * failed open each (a process that starts after the listing cannot be one a session began).
 */
export function processChecker(procRoot = '/proc'): (pid: number, pidStart: number) => boolean {
  let asked = 0;
  let listed: Set<number> | null | undefined;
  return (pid, pidStart) => {
    if (++asked > askedBeforeListing) {
      if (listed === undefined) {
        try {
          listed = new Set(readdirSync(procRoot).filter((name) => /^\d+$/.test(name)).map(Number));
        } catch {
          listed = null; // no listing: each pid asked by itself
        }
      }
      if (listed !== null && !listed.has(pid)) return false;
    }
    return processRuns(pid, pidStart, procRoot);
  };
}

/** /proc/PID/sessionid when no audit session was ever set (AUDIT_SID_UNSET). */
const noAuditSession = 4294967295;

/** The audit session of a process, from /proc/PID/sessionid; null when unset or unknown. */
export function auditSessionOf(pid: number, procRoot = '/proc'): number | null {
  let text: string;
  try {
    text = readFileSync(`${procRoot}/${pid}/sessionid`, 'utf8');
  } catch {
    return null;
  }
  const id = Number(text.trim());
  return Number.isSafeInteger(id) && id >= 0 && id < noAuditSession ? id : null;
}

/**
 * The audit session that `pid` (the process that called PAM) began, or null. pam_loginuid sets
 * the login uid, and with it a new audit session id, on the process that runs the PAM stack
 * (sshd's [priv] monitor, login); every process forked after inherits it and none can leave it.
 * A process that began none (su, sudo: their stacks have no pam_loginuid; or a kernel without
 * audit) shares its parent's, which belongs to some other login: that one is not this session's.
 */
export function ownAuditSession(pid: number, procRoot = '/proc'): number | null {
  const id = auditSessionOf(pid, procRoot);
  if (id === null) return null;
  let stat: string;
  try {
    stat = readFileSync(`${procRoot}/${pid}/stat`, 'utf8');
  } catch {
    return null;
  }
  const ppid = parentOf(stat);
  return ppid !== null && auditSessionOf(ppid, procRoot) === id ? null : id;
}

/** Every audit session some process is in, read once from /proc. */
export function runningAuditSessions(procRoot = '/proc'): Set<number> {
  const ids = new Set<number>();
  for (const name of readdirSync(procRoot)) {
    if (!/^\d+$/.test(name)) continue;
    const id = auditSessionOf(Number(name), procRoot);
    if (id !== null) ids.add(id);
  }
  return ids;
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

/** What a process's standard descriptors say of its terminal. */
type Standard = { pty: string } | 'pipe' | 'other';

function standardOf(pid: number, procRoot: string): Standard {
  let kind: Standard = 'other';
  for (const fd of [0, 1, 2]) {
    let target: string;
    try {
      target = readlinkSync(`${procRoot}/${pid}/fd/${fd}`);
    } catch {
      continue; // gone, or not ours to read
    }
    // Shown as util-linux shows it: pts/3, without /dev/.
    if (/^\/dev\/pts\/\d+$/.test(target)) return { pty: target.slice('/dev/'.length) };
    if (fd === 0 && /^(pipe|socket):/.test(target)) kind = 'pipe';
  }
  return kind;
}

/** The first pts/N held open (fd 0-2) by a descendant of `pid`, nearest first. */
export function descendantTerminal(pid: number, tree: Map<number, number[]>, procRoot = '/proc'): string | null {
  const queue = [...(tree.get(pid) ?? [])];
  const seen = new Set<number>([pid]);
  for (let next = queue.shift(); next !== undefined; next = queue.shift()) {
    if (seen.has(next)) continue;
    seen.add(next);
    const standard = standardOf(next, procRoot);
    if (typeof standard === 'object') return standard.pty;
    queue.push(...(tree.get(next) ?? []));
  }
  return null;
}

/** The first pts/N held open (fd 0-2) by a process of the audit session `id`, lowest pid first. */
export function auditSessionTerminal(id: number, procRoot = '/proc'): string | null {
  const pids = readdirSync(procRoot).filter((name) => /^\d+$/.test(name)).map(Number).sort((a, b) => a - b);
  for (const pid of pids) {
    if (auditSessionOf(pid, procRoot) !== id) continue;
    const standard = standardOf(pid, procRoot);
    if (typeof standard === 'object') return standard.pty;
  }
  return null;
}

/** Children of `pid` from /proc/PID/task/TID/children; null when the kernel does not list them. */
export function childrenOf(pid: number, procRoot = '/proc'): number[] | null {
  let tasks: string[];
  try {
    tasks = readdirSync(`${procRoot}/${pid}/task`);
  } catch {
    return [];
  }
  const children: number[] = [];
  for (const task of tasks) {
    let text: string;
    try {
      text = readFileSync(`${procRoot}/${pid}/task/${task}/children`, 'utf8');
    } catch (error) {
      // No children file in a task that exists: a kernel without CONFIG_PROC_CHILDREN.
      if ((error as { code?: string }).code === 'ENOENT') return null;
      continue;
    }
    for (const word of text.split(' ')) if (/^\d+$/.test(word)) children.push(Number(word));
  }
  return children;
}

/**
 * The terminal of the session whose PAM process is `pid`, as far as its descendants show it now:
 * a pts/N one of them holds (nearest first), `none` when the session's command runs on pipes or
 * sockets (no pty was asked for), `unknown` while neither shows (the pty may come). `skip` names
 * processes that are not the session's (the hook, a watcher) and their descendants.
 */
export function sessionTerminal(pid: number, skip: ReadonlySet<number>, procRoot = '/proc'): { pty: string } | 'none' | 'unknown' {
  let tree: Map<number, number[]> | null = null;
  const children = (p: number) => childrenOf(p, procRoot) ?? (tree ??= processTree(procRoot)).get(p) ?? [];
  const queue = children(pid);
  const seen = new Set<number>([pid, ...skip]);
  let piped = false;
  for (let next = queue.shift(); next !== undefined; next = queue.shift()) {
    if (seen.has(next)) continue;
    seen.add(next);
    const standard = standardOf(next, procRoot);
    if (typeof standard === 'object') return standard;
    if (standard === 'pipe') piped = true;
    queue.push(...children(next));
  }
  return piped ? 'none' : 'unknown';
}
