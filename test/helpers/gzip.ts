// Gzip files made by streaming, so that a large content (a gzip bomb: gigabytes of zeros in a
// few megabytes) is never in memory, nor in the repository.
import { createWriteStream } from 'node:fs';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';

/** Writes `count` copies of `piece`, gzipped at `level`, to `path`. */
export async function gzipCopies(path: string, piece: Buffer, count: number, level = 1): Promise<void> {
  const pieces = (function* () {
    for (let i = 0; i < count; i++) yield piece;
  })();
  await pipeline(Readable.from(pieces), createGzip({ level }), createWriteStream(path));
}

/** A gzip bomb: `mib` MiB of zeros at the best compression (about a thousandth of that on disk). */
export function gzipBomb(path: string, mib: number): Promise<void> {
  return gzipCopies(path, Buffer.alloc(1 << 20), mib, 9);
}
