// Record and session ids: UUIDv7 (time-ordered). The random part comes from /dev/urandom
// through the already-loaded fs binding: importing node:crypto costs the hook about 6 ms of
// start-up, every login (measured with scripts/bench.sh's method).

import { fs } from '../sys/fs.ts';
import { v7 } from 'uuid';

const { closeSync, openSync, readSync } = fs;

const pool = new Uint8Array(16 * 8);
let poolUsed = pool.length;

function randomBytes16(): Uint8Array {
  if (poolUsed + 16 > pool.length) {
    const fd = openSync('/dev/urandom', 'r');
    try {
      let got = 0;
      while (got < pool.length) got += readSync(fd, pool, got, pool.length - got, null);
    } finally {
      closeSync(fd);
    }
    poolUsed = 0;
  }
  const bytes = pool.slice(poolUsed, poolUsed + 16);
  poolUsed += 16;
  return bytes;
}

/** A new UUIDv7 whose timestamp is the given wall-clock time. */
export function newId(micros: number): string {
  return v7({ msecs: Math.floor(micros / 1000), random: randomBytes16() });
}
