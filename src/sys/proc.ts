// What the kernel and the account database tell about this host and a process. Plain reads of
// /proc and /etc: no child processes, no native modules (the hook pays for every millisecond).

import { fs } from './fs.ts';

const { readFileSync } = fs;

function readText(path: string): string {
  return readFileSync(path, 'utf8');
}

export function bootId(procRoot = '/proc'): string {
  return readText(`${procRoot}/sys/kernel/random/boot_id`).trim();
}

export function kernelHostname(procRoot = '/proc'): string {
  return readText(`${procRoot}/sys/kernel/hostname`).trim();
}

export function kernelRelease(procRoot = '/proc'): string {
  return readText(`${procRoot}/sys/kernel/osrelease`).trim();
}

/** Boot time in seconds since the epoch: the `btime` line of /proc/stat. */
export function bootTimeSeconds(procRoot = '/proc'): number {
  const match = /^btime\s+(\d+)$/m.exec(readText(`${procRoot}/stat`));
  if (!match) throw new SyntaxError(`Cannot read boot time from ${procRoot}/stat: no btime line`);
  return Number(match[1]);
}

/**
 * Start time of a process in clock ticks since boot: field 22 of /proc/PID/stat. The command
 * name (field 2) may contain spaces and parentheses, so fields are counted after the last ')'.
 * Null when the process does not exist.
 */
export function processStartTicks(pid: number, procRoot = '/proc'): number | null {
  let stat: string;
  try {
    stat = readText(`${procRoot}/${pid}/stat`);
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

/** The uid of a user from a passwd(5) text; null when absent. */
export function uidFromPasswd(passwd: string, user: string): number | null {
  const prefix = `${user}:`;
  for (const line of passwd.split('\n')) {
    if (!line.startsWith(prefix)) continue;
    const uid = Number(line.split(':')[2]);
    return Number.isSafeInteger(uid) && uid >= 0 ? uid : null;
  }
  return null;
}

/** The gid of a group from a group(5) text; null when absent. */
export function gidFromGroup(group: string, name: string): number | null {
  return uidFromPasswd(group, name);
}

/** uid of a user from /etc/passwd (null when the user is unknown or the file unreadable). */
export function lookupUid(user: string, passwdPath = '/etc/passwd'): number | null {
  if (user === '' || user.includes(':') || user.includes('\n')) return null;
  try {
    return uidFromPasswd(readText(passwdPath), user);
  } catch {
    return null;
  }
}

/** gid of a group from /etc/group (null when absent or unreadable). */
export function lookupGid(name: string, groupPath = '/etc/group'): number | null {
  try {
    return gidFromGroup(readText(groupPath), name);
  } catch {
    return null;
  }
}
