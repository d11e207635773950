// The history: sessions (and with `system` the boots and shutdowns) newest first, filtered by
// time, user and host, as `last` shows them.

import type { Config } from '../config/config.ts';
import type { Session, SystemEvent } from '../reconcile/types.ts';
import { parseTimestamp, type Micros } from '../record/time.ts';
import { loadReconciled, localHost, localLiveness } from './load-sessions.ts';

export interface HistoryRequest {
  /** Files or directories to read; empty: the log directory. */
  inputs: readonly string[];
  /** Sessions active at or after this instant. */
  since: Micros | null;
  /** Sessions that began at or before this instant. */
  until: Micros | null;
  user: string | null;
  host: string | null;
  /** Add boots and shutdowns (not with `user`). */
  system: boolean;
}

export type HistoryLine = { at: Micros; session: Session } | { at: Micros; system: SystemEvent };

export interface History {
  /** The lines newest first; each call walks them again, without a copy of the history. */
  lines: () => Generator<HistoryLine>;
  warnings: string[];
  /** An input was read only up to its damage (named in `warnings`): the history lacks the rest. */
  incomplete: boolean;
}

export function history(request: HistoryRequest, config: Config, now: Micros): History {
  const loaded = loadReconciled(request.inputs, config, localLiveness(localHost(config)));
  const inRange = (from: Micros, to: Micros) =>
    (request.until === null || from <= request.until) && (request.since === null || to >= request.since);
  // Sessions (in login order) and system events (in time order) are walked from their ends and
  // merged; among lines of one instant a system event comes first, then the later session in
  // reconciled order.
  const systemAt = loaded.system.map((e) => parseTimestamp(e.ts) ?? 0);
  function* lines(): Generator<HistoryLine> {
    let si = loaded.order.length - 1;
    let ei = request.system && request.user === null ? loaded.system.length - 1 : -1;
    while (si >= 0 || ei >= 0) {
      const sessionAt = si >= 0 ? loaded.loginAt(loaded.order[si] as number) : -Infinity;
      const eventAt = ei >= 0 ? (systemAt[ei] as number) : -Infinity;
      if (ei >= 0 && eventAt >= sessionAt) {
        const e = loaded.system[ei--] as SystemEvent;
        if ((request.host === null || e.host === request.host) && inRange(eventAt, eventAt)) yield { at: eventAt, system: e };
        continue;
      }
      const i = loaded.order[si--] as number;
      if (request.until !== null && sessionAt > request.until) continue;
      if (request.host !== null && loaded.hostOf(i) !== request.host) continue;
      const s = loaded.session(i);
      if (request.user !== null && s.user !== request.user) continue;
      const to = s.logout_time === null ? (s.end === 'gone' ? sessionAt : now) : (parseTimestamp(s.logout_time) ?? sessionAt);
      if (inRange(sessionAt, to)) yield { at: sessionAt, session: s };
    }
  }
  return { lines, warnings: loaded.warnings, incomplete: loaded.incomplete };
}
