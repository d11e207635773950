// The name worker: hashes the names of a wtmp file's entries (SHA-1, for their UUIDv5 ids) on a
// second thread while the importer writes the lines of the entries before them. It reads the
// file itself, from the descriptor the importer opened, and hands each piece over with the
// ids its entries need, in the order the importer takes them (namesOf). The CLI runs it
// from source embedded in its single file (scripts/build.mjs); see src/cli/commands/import.ts.

import type * as WorkerThreads from 'node:worker_threads';
import type * as NodeFs from 'node:fs';
import type { RecordSource } from '../record/types.ts';
import { nameIds } from './import-wtmp.ts';
import { RecordNames } from '../record/name-ids.ts';
import { recordSize, type UtmpLayout } from './utmp.ts';
import { builtin } from '../sys/builtin.ts';

export interface NameWorkerData {
  fd: number;
  length: number;
  host: string;
  source: RecordSource;
  layout: UtmpLayout;
  /** Records per piece. */
  pieceRecords: number;
  /** Two Int32 counters: pieces posted, pieces taken. */
  counters: SharedArrayBuffer;
  port: WorkerThreads.MessagePort;
}

/** One piece of the file: its bytes and the digests of its names, or the end, or what went wrong. */
export type NameWorkerMessage = { bytes: ArrayBuffer; length: number; ids: ArrayBuffer; idsLength: number } | { done: true } | { error: string };

/** How many pieces the worker may read ahead of the importer. */
export const readAhead = 3;

function main(): void {
  const { workerData } = builtin<typeof WorkerThreads>('node:worker_threads');
  const { readSync } = builtin<typeof NodeFs>('node:fs');
  const data = workerData as NameWorkerData;
  const counters = new Int32Array(data.counters);
  const post = (message: NameWorkerMessage, transfer: ArrayBuffer[] = []) => {
    data.port.postMessage(message, transfer);
    Atomics.add(counters, 0, 1);
    Atomics.notify(counters, 0);
  };
  try {
    const size = recordSize[data.layout];
    const names = new RecordNames(data.host, size);
    const naming = { first: true };
    for (let position = 0; position < data.length; ) {
      for (let posted = Atomics.load(counters, 0), taken = Atomics.load(counters, 1); posted - taken >= readAhead; taken = Atomics.load(counters, 1)) {
        Atomics.wait(counters, 1, taken);
      }
      const piece = Buffer.from(new ArrayBuffer(size * data.pieceRecords));
      const n = readSync(data.fd, piece, 0, Math.min(piece.length, data.length - position), position);
      if (n === 0) break;
      position += n;
      const ids = nameIds(piece.subarray(0, n), data.layout, data.source, names, naming);
      post({ bytes: piece.buffer, length: n, ids: ids.buffer as ArrayBuffer, idsLength: ids.length }, [piece.buffer, ids.buffer as ArrayBuffer]);
    }
    post({ done: true });
  } catch (error) {
    post({ error: error instanceof Error ? error.message : String(error) });
  }
}

main();
