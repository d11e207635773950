// Compresses a rotated segment to `NAME.gz` so that it appears complete or not at all: gzip into
// a hidden temp file beside it (same owner, group and mode, the segment's modification time
// kept, so that readers still order segments by it), fsync, rename to `NAME.gz`, then remove the
// plain file. Readers seeing both for a moment read the plain one (segments.ts).

import { constants, createReadStream, createWriteStream, fstatSync, fsyncSync, futimesSync, fchownSync, openSync, closeSync, renameSync, unlinkSync } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { RefusedPathError, describeFileType } from './errors.ts';

export interface Compressed {
  from: string;
  to: string;
  bytesIn: number;
  bytesOut: number;
}

export async function compressSegment(path: string): Promise<Compressed> {
  const dir = path.slice(0, path.lastIndexOf('/'));
  const name = path.slice(path.lastIndexOf('/') + 1);
  const target = `${path}.gz`;
  const temp = `${dir}/.${name}.gz.${process.pid}.tmp`;
  const input = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  let output: number | null = null;
  try {
    const st = fstatSync(input);
    if (!st.isFile()) throw new RefusedPathError(path, describeFileType(st.mode));
    output = openSync(temp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, st.mode & 0o777);
    fchownSync(output, st.uid, st.gid);
    await pipeline(
      createReadStream('', { fd: input, autoClose: false, start: 0 }),
      createGzip({ level: 6 }),
      createWriteStream('', { fd: output, autoClose: false }),
    );
    fsyncSync(output);
    futimesSync(output, st.atime, st.mtime);
    const bytesOut = fstatSync(output).size;
    closeSync(output);
    output = null;
    renameSync(temp, target);
    unlinkSync(path);
    return { from: path, to: target, bytesIn: st.size, bytesOut };
  } catch (error) {
    if (output !== null) {
      closeSync(output);
      try {
        unlinkSync(temp);
      } catch {
        // already gone
      }
    }
    throw error;
  } finally {
    closeSync(input);
  }
}
