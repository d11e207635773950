// The daily upkeep of the log directory (`logsphere rotate`, logsphere-rotate.timer): rotate the
// live log when it has reached LOGSPHERE_MAX_BYTES (or at once), compress rotated segments, and
// remove segments past retention except those holding the start of a session still open
// (which sessions are open is the caller's to say: it takes reading the whole log).

import { unlinkSync } from 'node:fs';
import { logFileName, type Config } from '../config/config.ts';
import type { Micros } from '../record/time.ts';
import { compressSegment } from './compress-segment.ts';
import { retentionPlan } from './retention.ts';
import { rotateLog } from './rotate-log.ts';
import { beginRotation, endRotationOf, liveWriters, waitUntil } from './rotation-gate.ts';
import { listSegments, type Segment } from './segments.ts';
import { processStartTicks } from '../sys/processes.ts';

export type UpkeepEvent =
  | { kind: 'rotated'; segment: string; bytes: number }
  | { kind: 'busy'; reason: string }
  | { kind: 'compressed'; from: string; to: string; bytesIn: number; bytesOut: number }
  | { kind: 'removed'; segment: Segment }
  | { kind: 'kept'; segment: Segment };

export interface UpkeepOptions {
  /** Rotate now, whatever the size (when the log is not empty). */
  now: boolean;
  compress: boolean;
  /** How long a rotation waits for writers to leave the log. */
  waitMs: number;
}

/**
 * Runs the upkeep; `holdsOpenSession` is asked only about segments past retention. Each step is
 * told to `report` as it happens. Resolves to false when the log was due but could not be rotated.
 */
export async function upkeep(
  config: Config,
  options: UpkeepOptions,
  now: Micros,
  holdsOpenSession: (segment: Segment) => boolean,
  report: (event: UpkeepEvent) => void,
): Promise<boolean> {
  const nowMs = Math.floor(now / 1000);
  let rotated = true;
  if (options.now || config.maxBytes > 0) {
    const outcome = await rotateLog(config, { minBytes: options.now ? 1 : config.maxBytes, waitMs: options.waitMs, now: () => new Date(nowMs) });
    if (outcome.status === 'rotated') report({ kind: 'rotated', segment: outcome.segment, bytes: outcome.bytes });
    else if (outcome.status === 'busy') {
      report({ kind: 'busy', reason: outcome.reason });
      rotated = false;
    }
  }
  if (options.compress) {
    for (const segment of listSegments(config.logDir, logFileName)) {
      if (segment.scheme !== 'rotated' || segment.compressed) continue;
      const done = await compressSegment(segment.path);
      report({ kind: 'compressed', from: done.from, to: done.to, bytesIn: done.bytesIn, bytesOut: done.bytesOut });
    }
  }
  const plan = retentionPlan(listSegments(config.logDir, logFileName), config.keepDays, nowMs, holdsOpenSession);
  for (const segment of plan.remove) {
    unlinkSync(segment.path);
    report({ kind: 'removed', segment });
  }
  for (const segment of plan.kept) report({ kind: 'kept', segment });
  return rotated;
}

/**
 * logrotate's prerotate step: keeps writers out of the log on behalf of process `pid` (logrotate)
 * until releaseAfterRotation or until that process ends, once the writers at work have left.
 */
export async function holdForRotation(config: Config, pid: number, waitMs: number): Promise<void> {
  const start = processStartTicks(pid);
  if (start === null) throw new Error(`Cannot hold the log for process ${pid}: no such process`);
  const held = beginRotation(config.runDir, { pid, start });
  if (held === null) throw new Error(`Cannot hold ${config.logFile}: another rotation is under way`);
  if (!(await waitUntil(config.runDir, () => liveWriters(config.runDir, null) === 0, waitMs))) {
    held.release();
    throw new Error(`Cannot hold ${config.logFile}: writers still appending after ${waitMs} ms`);
  }
}

/** logrotate's postrotate step: lets writers go on; false when `pid` held nothing. */
export function releaseAfterRotation(config: Config, pid: number): boolean {
  const start = processStartTicks(pid);
  return start !== null && endRotationOf(config.runDir, { pid, start });
}
