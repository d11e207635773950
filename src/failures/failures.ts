// Failed logins: the `auth_failure` records of the log (from the hook's auth-failure branch and
// from btmp and auth.log imports), deduplicated by event id, and their summaries by remote host
// or user — what `logsphere failed` shows and the report counts.

import { F, floatFields, intFields, Kind, type RecordColumns } from '../input/record-columns.ts';
import { parseTimestamp, type Micros } from '../record/time.ts';
import type { AuthFailureRecord, LogRecord } from '../record/types.ts';

export interface Failure {
  event_id: string;
  at: Micros;
  ts: string;
  host: string;
  user: string;
  uid: number | null;
  tty: string | null;
  rhost: string | null;
  service: string;
  source: string;
  /** The record itself, when the collector keeps them (for ECS or OpenTelemetry output). */
  record?: AuthFailureRecord;
}

export interface FailureFilter {
  since: Micros | null;
  until: Micros | null;
  user: string | null;
  host: string | null;
}

/** Collects the failures a filter lets through; a duplicated event id counts once. */
export class FailureCollector {
  readonly failures: Failure[] = [];
  duplicates = 0;
  /** Each event id's failure, by its index in `failures`. */
  private readonly seen = new Map<string, number>();

  constructor(
    private readonly filter: FailureFilter,
    private readonly keepRecords = false,
  ) {}

  /**
   * Where a failure the filter lets through goes in `failures`: at the end, or in place of the copy
   * of its event id read before when it is earlier (the earlier counts, whichever was read first);
   * -1 to leave it out. A repeat is counted.
   */
  private slot(at: Micros, user: string, host: string, eventId: string): number {
    const f = this.filter;
    if ((f.since !== null && at < f.since) || (f.until !== null && at > f.until)) return -1;
    if ((f.user !== null && user !== f.user) || (f.host !== null && host !== f.host)) return -1;
    const known = this.seen.get(eventId);
    if (known === undefined) {
      this.seen.set(eventId, this.failures.length);
      return this.failures.length;
    }
    this.duplicates++;
    return at < (this.failures[known] as Failure).at ? known : -1;
  }

  add(record: LogRecord): void {
    if (record.event !== 'auth_failure') return;
    const at = parseTimestamp(record.ts);
    if (at === null) return;
    const k = this.slot(at, record.user, record.host, record.event_id);
    if (k < 0) return;
    const failure = failureOf(record, at);
    if (this.keepRecords) failure.record = record;
    this.failures[k] = failure;
  }

  /** The failed logins of a batch of records in columns (record-columns.ts): the same as add() of each. */
  addColumns(c: RecordColumns): void {
    if (this.keepRecords) throw new Error('records in columns cannot be kept as records');
    const { ints, floats, strings } = c;
    const str = (k: number): string | null => (k < 0 ? null : strings.get(k));
    for (let i = 0; i < c.count; i++) {
      const b = i * intFields;
      if (ints[b + F.kind] !== Kind.failure) continue;
      const at = floats[i * floatFields] as number;
      const host = str(ints[b + F.host] as number) as string;
      const user = str(ints[b + F.user] as number) as string;
      const eventId = str(ints[b + F.eventId] as number) as string;
      const k = this.slot(at, user, host, eventId);
      if (k < 0) continue;
      const uid = floats[i * floatFields + 3] as number;
      this.failures[k] = {
        event_id: eventId, at, ts: str(ints[b + F.ts] as number) as string, host, user, uid: Number.isNaN(uid) ? null : uid,
        tty: str(ints[b + F.tty] as number), rhost: str(ints[b + F.rhost] as number), service: str(ints[b + F.service] as number) as string,
        source: str(ints[b + F.source] as number) as string,
      };
    }
  }

  /** Oldest first (file order is not trusted); failures of one instant by host and event id, whatever order they were read in. After the last add(). */
  sorted(): Failure[] {
    return this.failures.sort((a, b) => a.at - b.at || (a.host < b.host ? -1 : a.host > b.host ? 1 : 0) || (a.event_id < b.event_id ? -1 : a.event_id > b.event_id ? 1 : 0));
  }
}

function failureOf(r: AuthFailureRecord, at: Micros): Failure {
  return { event_id: r.event_id, at, ts: r.ts, host: r.host, user: r.user, uid: r.uid, tty: r.tty, rhost: r.rhost, service: r.service, source: r.source };
}

export type SummaryKey = 'rhost' | 'user';

export interface FailureSummary {
  /** The remote host or user; null for failures without a remote host. */
  key: string | null;
  count: number;
  first_seen: string;
  last_seen: string;
  /** Distinct users tried (by rhost) or remote hosts tried from (by user). */
  distinct: number;
}

/** Failures grouped by remote host or user, most first (ties: latest first, then by name). */
export function summarize(failures: readonly Failure[], by: SummaryKey): FailureSummary[] {
  const groups = new Map<string | null, { count: number; first: Failure; last: Failure; other: Set<string | null> }>();
  for (const f of failures) {
    const key = by === 'rhost' ? f.rhost : f.user;
    const g = groups.get(key);
    if (!g) {
      groups.set(key, { count: 1, first: f, last: f, other: new Set([by === 'rhost' ? f.user : f.rhost]) });
      continue;
    }
    g.count++;
    if (f.at < g.first.at) g.first = f;
    if (f.at >= g.last.at) g.last = f;
    g.other.add(by === 'rhost' ? f.user : f.rhost);
  }
  return [...groups.entries()]
    .map(([key, g]) => ({ key, count: g.count, first_seen: g.first.ts, last_seen: g.last.ts, distinct: g.other.size, lastAt: g.last.at }))
    .sort((a, b) => b.count - a.count || b.lastAt - a.lastAt || String(a.key).localeCompare(String(b.key)))
    .map(({ lastAt: _, ...s }) => s);
}
