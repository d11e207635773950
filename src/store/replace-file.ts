// Replaces a file so that readers see the old content or the new, never a part, also after a
// crash: a temp file beside it, written, synced, renamed over it. Links are not followed.

import { closeSync, constants, fsyncSync, openSync, renameSync, writeSync } from 'node:fs';

export function replaceFileSync(path: string, data: string, mode: number): void {
  const temp = `${path}.${process.pid}.tmp`;
  const fd = openSync(temp, constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC | constants.O_NOFOLLOW, mode);
  try {
    writeSync(fd, data);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(temp, path);
}
