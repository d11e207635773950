// The columns worker: makes the columns of a whole history's rotated segments (segment-index.ts)
// on a second thread while the reader makes others: `last` over a history whose segment index is
// missing or stale parses on both cores. The reader takes segments from the first, the worker from
// the last, each claiming one at a time in a shared array, until they meet; the worker stores what
// it makes in the index as the reader does, and says so (or hands the columns over as bytes when
// the index cannot keep them). The CLI runs it from source embedded in its single file
// (scripts/build.mjs); see segment-columns.ts.

import type * as WorkerThreads from 'node:worker_threads';
import type { InputFile } from './inputs.ts';
import { encodeColumns } from './record-columns.ts';
import { bytesAhead, Claim, type ColumnsWorkerData, type ColumnsWorkerMessage } from './segment-columns.ts';
import { SegmentIndex } from './segment-index.ts';
import { builtin } from '../sys/builtin.ts';

function main(): void {
  const { workerData } = builtin<typeof WorkerThreads>('node:worker_threads');
  const data = workerData as ColumnsWorkerData;
  const shared = new Int32Array(data.shared);
  const posted = data.files.length;
  const used = posted + 1;
  let handedOver = 0;
  const post = (message: ColumnsWorkerMessage, transfer: ArrayBuffer[] = []) => {
    data.port.postMessage(message, transfer);
    Atomics.add(shared, posted, 1);
    Atomics.notify(shared, posted);
  };
  try {
    const index = new SegmentIndex(data.stateDir);
    for (let i = data.files.length - 1; i >= 0; i--) {
      // Where the index cannot keep them, no more segments in memory than bytesAhead: the reader makes the rest.
      if (!index.canStore() && handedOver - Atomics.load(shared, used) >= bytesAhead) break;
      if (Atomics.compareExchange(shared, i, Claim.free, Claim.worker) !== Claim.free) break;
      handedOver++;
      const columns = index.columns(data.files[i] as InputFile, true);
      // Stored in the index, the reader reads them there; otherwise handed over as bytes.
      if (columns === null || index.canStore()) {
        post({ file: i, stored: columns !== null, bytes: null });
        continue;
      }
      const bytes = encodeColumns(columns, {});
      // encodeColumns' buffer is its own (Buffer.alloc never takes from the pool), whole: handed over without a copy.
      const whole = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength;
      const buffer = whole ? (bytes.buffer as ArrayBuffer) : (Uint8Array.from(bytes).buffer as ArrayBuffer);
      post({ file: i, stored: false, bytes: buffer }, [buffer]);
    }
    post({ done: true });
  } catch (error) {
    post({ error: error instanceof Error ? error.message : String(error) });
  }
}

main();
