// The hook's V8 code cache: the bytecode of the hook's start-up code, written at install time
// (scripts/write-hook-code-cache.mjs, run by scripts/install.sh) beside the hook as
// `logsphere-hook.code-cache`, so that a login deserialises the code instead of compiling it.
//
// The cache is code run as root at every login: it is used only when owned by root and writable
// by nobody else, and made for this very hook (src/sys/code-cache.ts says how it is checked).
// Anything wrong means no cache, never a failed login.

import { readCodeCache as readTrusted } from '../sys/code-cache.ts';

/** The first line of a code cache made for the hook's body `bodyId`. */
export function codeCacheHeader(bodyId: string): string {
  return `logsphere-hook code cache ${bodyId}\n`;
}

/** The V8 data of the code cache at `path` when it can be trusted and was made for `bodyId`; else undefined. */
export function readCodeCache(path: string, bodyId: string): Buffer | undefined {
  return readTrusted(path, codeCacheHeader(bodyId), [0]);
}
