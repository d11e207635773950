// node:fs for code on the hook's start-up path. An ESM `import ... from 'node:fs'` builds the
// module namespace, which runs fs's lazy getters (ReadStream and friends) and loads the stream
// modules: about 4 ms at every login. process.getBuiltinModule (Node >= 20.16) hands over the
// module itself; older releases take it from require(), which the bundles (CommonJS) provide.

import type * as NodeFs from 'node:fs';
import { builtin } from './builtin.ts';

export const fs: typeof NodeFs = builtin<typeof NodeFs>('node:fs');

/**
 * The text of the file at `path`, opened without following a link (ELOOP) and without blocking on
 * a FIFO or a device put in its place.
 */
export function readTextNoFollow(path: string): string {
  const { O_RDONLY, O_NOFOLLOW, O_NONBLOCK } = fs.constants;
  const fd = fs.openSync(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK);
  try {
    return fs.readFileSync(fd, 'utf8');
  } finally {
    fs.closeSync(fd);
  }
}
