// The state of a login's terminal device, as coreutils who reads it: when it was last read from
// (its atime, which input updates: the idle time) and whether others may write to it (mesg y: the
// device is group-writable; Debian's who asks nothing of its group).

import { fs } from './fs.ts';

export interface TerminalState {
  /** The device's last access, in microseconds since the epoch. */
  atime: number;
  /** Messages allowed (`+` in who -T), or not (`-`). */
  writable: boolean;
}

/** The state of the terminal `line` (`pts/3`, `tty1`, or an absolute path); null when it is not there to be read (who shows `?`). */
export function terminalState(line: string, devRoot = '/dev'): TerminalState | null {
  if (line === '' || line.split('/').includes('..')) return null;
  try {
    const st = fs.statSync(line.startsWith('/') ? line : `${devRoot}/${line}`);
    return { atime: Math.floor(st.atimeMs) * 1000, writable: (st.mode & fs.constants.S_IWGRP) !== 0 };
  } catch {
    return null;
  }
}
