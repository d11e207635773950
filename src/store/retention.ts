// Which rotated segments retention removes: those last written more than `keepDays` days ago,
// except a segment holding the start of a session that is still open (removing it would make
// the session vanish from `logsphere sessions` for readers without a checkpoint). The live
// file is never removed.

import type { Segment } from './segments.ts';

export interface RetentionPlan {
  remove: Segment[];
  /** Past retention, kept for the open sessions they start. */
  kept: Segment[];
}

export function retentionPlan(
  segments: readonly Segment[],
  keepDays: number,
  nowMs: number,
  holdsOpenSession: (segment: Segment) => boolean,
): RetentionPlan {
  const plan: RetentionPlan = { remove: [], kept: [] };
  if (keepDays <= 0) return plan;
  const cutoff = nowMs - keepDays * 86_400_000;
  for (const segment of segments) {
    if (segment.scheme === 'live' || segment.mtimeMs >= cutoff) continue;
    if (holdsOpenSession(segment)) plan.kept.push(segment);
    else plan.remove.push(segment);
  }
  return plan;
}
