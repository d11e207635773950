import { mkdtempSync, readdirSync, rmSync, truncateSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { build } from 'esbuild';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { generateHistory, writeLogDirectory } from '../../test/helpers/log-history.ts';
import { Reconciler } from '../reconcile/reconcile.ts';
import { listInputs, forEachRecordIn, type InputFile } from './inputs.ts';
import { bytesAhead, segmentColumns } from './segment-columns.ts';
import { SegmentIndex } from './segment-index.ts';

// The worker as the CLI's bundle carries it (scripts/build.mjs embeds the same entry).
let workerSource = '';
beforeAll(async () => {
  const out = await build({
    entryPoints: ['src/input/columns-worker.ts'], bundle: true, platform: 'node', format: 'cjs', target: 'node20', write: false, logLevel: 'warning',
    alias: { uuid: './node_modules/uuid/dist/index.js' },
  });
  workerSource = out.outputFiles[0]?.text ?? '';
});

let dir = '';
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** The sessions of the segments read through segmentColumns in order, segments it gives no columns for read as records. */
function reconcileThrough(segments: readonly InputFile[], stateDir: string | null, source: string | null, patienceMs?: number, workerFirst = 1) {
  const reconciler = new Reconciler();
  const columns = segmentColumns(new SegmentIndex(stateDir), stateDir, segments, source, { workerFirst, patienceMs });
  const read: number[] = [];
  try {
    segments.forEach((file, k) => {
      const c = columns.columns(k);
      if (c === null) {
        read.push(k);
        forEachRecordIn(file, (r) => reconciler.add(r));
      } else reconciler.addColumns(c);
    });
  } finally {
    columns.close();
  }
  const result = reconciler.finish();
  return { sessions: Array.from(result.order, (i) => result.session(i)), counts: result.counts, byWorker: columns.byWorker, read };
}

describe('segmentColumns', () => {
  const setUp = () => {
    dir = mkdtempSync(`${tmpdir()}/ls-segment-columns-`);
    writeLogDirectory(`${dir}/log`, generateHistory({ sessions: 1200, seed: 11 }).lines, 300);
    const segments = listInputs([`${dir}/log`]).files.filter((f) => f.segment?.scheme === 'rotated');
    expect(segments.length).toBeGreaterThanOrEqual(4);
    return segments;
  };

  it('makes segments on a worker as well, stores them in the index, and gives what one thread gives', () => {
    const segments = setUp();
    const alone = reconcileThrough(segments, null, null);
    expect(alone.byWorker).toBe(0);
    const both = reconcileThrough(segments, `${dir}/state`, workerSource);
    expect(both.byWorker).toBeGreaterThan(0);
    expect(both.read).toEqual([]);
    expect(both.sessions).toEqual(alone.sessions);
    expect(both.counts).toEqual(alone.counts);
    expect(readdirSync(`${dir}/state/segment-index`).filter((n) => n.endsWith('.columns'))).toHaveLength(segments.length);
    // Stored: no worker the next time.
    expect(reconcileThrough(segments, `${dir}/state`, workerSource)).toEqual({ ...both, byWorker: 0 });
  });

  it('hands columns over as bytes where the index cannot keep them', () => {
    const segments = setUp();
    const alone = reconcileThrough(segments, null, null);
    // The reader waits for the worker to end first: held in memory until the reader comes to them,
    // the worker makes no more than bytesAhead, and the reader the rest.
    expect(segments.length).toBeGreaterThan(bytesAhead + 2);
    const both = reconcileThrough(segments, `${dir}/log/sessions.jsonl/state`, workerSource, undefined, Infinity);
    expect(both.byWorker).toBe(bytesAhead);
    expect(both.sessions).toEqual(alone.sessions);
  });

  it('leaves a damaged segment to the reader, which reads it as usual', () => {
    const segments = setUp();
    const last = segments[segments.length - 1] as InputFile;
    truncateSync(last.path, statSync(last.path).size - 7);
    // Listed again: the segment's identity is its size.
    const listed = listInputs([`${dir}/log`]).files.filter((f) => f.segment?.scheme === 'rotated');
    const both = reconcileThrough(listed, `${dir}/state`, workerSource);
    expect(both.byWorker).toBeGreaterThan(0);
    expect(both.read).toEqual([listed.length - 1]);
    expect(both.sessions).toEqual(reconcileThrough(listed, null, null).sessions);
  });

  it('makes the segments itself when the worker says nothing: a worker that died never stops the read', () => {
    const segments = setUp();
    const n = segments.length;
    // A worker that claims the last two segments, hands the last over as one to read as usual,
    // and then hangs on the other, as one that ran out of memory would.
    const hanging = `const { workerData: d } = require('node:worker_threads'); const shared = new Int32Array(d.shared);
      Atomics.store(shared, ${n - 1}, 2); Atomics.store(shared, ${n - 2}, 2);
      d.port.postMessage({ file: ${n - 1}, stored: false, bytes: null }); Atomics.add(shared, ${n}, 1); Atomics.notify(shared, ${n});
      setInterval(() => {}, 1000);`;
    const both = reconcileThrough(segments, `${dir}/state`, hanging, 200);
    expect(both.byWorker).toBe(1);
    expect(both.read).toEqual([n - 1]);
    expect(both.sessions).toEqual(reconcileThrough(segments, null, null).sessions);
  });
});
