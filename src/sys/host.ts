// What the kernel tells about this host: its boot id, hostname, kernel release and boot time.
// Plain reads of /proc (the hook pays for every millisecond).

import { fs } from './fs.ts';

function readText(path: string): string {
  return fs.readFileSync(path, 'utf8');
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
