// The CLI's V8 code cache. The CLI compiles each piece of its program on its first use
// (scripts/build.mjs); with a code cache beside the program, `PROGRAM.code-cache`, written at
// install time by scripts/lib/write-cli-code-cache.mjs, a piece's code is deserialised instead of
// compiled: a few milliseconds of every call.
//
// The file: the line `logsphere code cache BODY-ID` (the hash of the pieces' texts, taken at
// build time), a line of JSON naming each piece's data, `{"./piece.js": [start, end], …}` (byte
// offsets into what follows), then the data. It is trusted as src/sys/code-cache.ts says, owned
// by root or by the owner of the program file (who could change the program itself), or not used
// at all; data V8 rejects (another node, other flags) is compiled as if there were none.

import { programOwners, readCodeCache } from '../sys/code-cache.ts';

export function pieceCacheHeader(bodyId: string): string {
  return `logsphere code cache ${bodyId}\n`;
}

/** The data of each piece in the trusted cache beside `programPath`, made for `bodyId`; null when there is none. */
export function readPieceCache(programPath: string, bodyId: string): Map<string, Buffer> | null {
  const data = readCodeCache(`${programPath}.code-cache`, pieceCacheHeader(bodyId), programOwners(programPath));
  return data === undefined ? null : decodePieces(data);
}

/** The pieces' data after the header; null when the index line is not one. */
function decodePieces(data: Buffer): Map<string, Buffer> | null {
  const end = data.indexOf(0x0a);
  if (end < 0) return null;
  let index: unknown;
  try {
    index = JSON.parse(data.toString('latin1', 0, end));
  } catch {
    return null;
  }
  if (index === null || typeof index !== 'object' || Array.isArray(index)) return null;
  const body = data.subarray(end + 1);
  const pieces = new Map<string, Buffer>();
  for (const [id, at] of Object.entries(index as Record<string, unknown>)) {
    if (!Array.isArray(at) || at.length !== 2) return null;
    const [start, stop] = at as unknown[];
    if (!Number.isSafeInteger(start) || !Number.isSafeInteger(stop) || (start as number) < 0 || (stop as number) <= (start as number) || (stop as number) > body.length) return null;
    pieces.set(id, body.subarray(start as number, stop as number));
  }
  return pieces;
}

/** A code cache file holding `pieces` (id and V8 data), made for `bodyId`. */
export function encodePieceCache(bodyId: string, pieces: Iterable<readonly [string, Buffer]>): Buffer {
  const index: Record<string, [number, number]> = {};
  const parts: Buffer[] = [];
  let at = 0;
  for (const [id, data] of pieces) {
    index[id] = [at, at + data.length];
    parts.push(data);
    at += data.length;
  }
  return Buffer.concat([Buffer.from(`${pieceCacheHeader(bodyId)}${JSON.stringify(index)}\n`, 'latin1'), ...parts]);
}

/** The pieces of a cache file's content (header included) made for `bodyId`; null when it is not one. */
export function piecesOf(file: Buffer, bodyId: string): Map<string, Buffer> | null {
  const header = pieceCacheHeader(bodyId);
  if (file.length <= header.length || file.toString('latin1', 0, header.length) !== header) return null;
  return decodePieces(file.subarray(header.length));
}
