// Reading part of an open file at a position, whole unless the file ends first.

import { fs } from '../sys/fs.ts';

export function readRange(fd: number, start: number, length: number): Buffer {
  const buffer = Buffer.alloc(length);
  let got = 0;
  while (got < length) {
    const n = fs.readSync(fd, buffer, got, length - got, start + got);
    if (n === 0) break;
    got += n;
  }
  return buffer.subarray(0, got);
}
