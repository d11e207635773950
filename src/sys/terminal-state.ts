// The state of a login's terminal device, as coreutils who reads it: when it was last read from
// (its atime, which input updates: the idle time) and whether others may write to it (mesg y: the
// device is group-writable and belongs to the group tty).

import { lookupGid } from './accounts.ts';
import { fs } from './fs.ts';

export interface TerminalState {
  /** The device's last access, in microseconds since the epoch. */
  atime: number;
  /** Messages allowed (`+` in who -T), or not (`-`). */
  writable: boolean;
}

/**
 * The state of the terminal `line` (`pts/3`, `tty1`, or an absolute path); null when it is not
 * there to be read (who shows `?`). `ttyGid` is the gid of the group tty (null: no such group,
 * and then nothing counts as writable, as in who).
 */
export function terminalState(line: string, ttyGid: number | null = lookupGid('tty'), devRoot = '/dev'): TerminalState | null {
  if (line === '' || line.split('/').includes('..')) return null;
  try {
    const st = fs.statSync(line.startsWith('/') ? line : `${devRoot}/${line}`);
    return { atime: Math.floor(st.atimeMs) * 1000, writable: ttyGid !== null && st.gid === ttyGid && (st.mode & fs.constants.S_IWGRP) !== 0 };
  } catch {
    return null;
  }
}
