// Evaluates alert rules over `logsphere/1` records, one record at a time, on the records' own
// times (not the clock): a replay of the same log raises the same alerts. The state — recent
// failures, quiet periods, remote hosts seen per user, recent event ids — is plain JSON, so
// `logsphere watch` keeps it in its checkpoint and a restart carries on where it stopped.

import { uuidV5 } from '../record/name-ids.ts';
import { formatTimestamp, parseTimestamp, type Micros } from '../record/time.ts';
import type { LogRecord } from '../record/types.ts';
import type { HoursRule, Rule, RuleType, Severity, ThresholdRule } from './rules.ts';

export const alertSchema = 'logsphere-alert/1';

export interface Alert {
  schema: typeof alertSchema;
  /** Name-based: the same condition on the same events always has the same id (for dedup downstream). */
  alert_id: string;
  rule: string;
  type: RuleType;
  severity: Severity;
  /** The time of the event that raised the alert. */
  ts: string;
  host: string;
  user: string | null;
  rhost: string | null;
  count: number;
  window_s: number | null;
  first_event_id: string;
  last_event_id: string;
  first_ts: string;
  last_ts: string;
  message: string;
}

interface Seen {
  at: Micros;
  id: string;
  user: string;
  rhost: string | null;
}

export interface EngineState {
  version: 1;
  failures: Record<string, Array<[Micros, string, string, string | null]>>;
  quiet: Record<string, Micros>;
  rhosts: Record<string, string[]>;
  recentIds: string[];
}

/** Event ids remembered for dedup, and remote hosts remembered per user. */
const recentIdLimit = 10_000;
const rhostsPerUser = 1_000;

const micros = (seconds: number) => seconds * 1_000_000;

function windowText(seconds: number): string {
  if (seconds % 86400 === 0) return `${seconds / 86400}d`;
  if (seconds % 3600 === 0) return `${seconds / 3600}h`;
  if (seconds % 60 === 0) return `${seconds / 60}m`;
  return `${seconds}s`;
}

export class AlertEngine {
  private readonly failures = new Map<string, Seen[]>();
  private readonly quiet = new Map<string, Micros>();
  private readonly rhosts = new Map<string, Set<string>>();
  private readonly recent = new Set<string>();
  private readonly keep: Micros;

  constructor(
    private readonly rules: readonly Rule[],
    state: EngineState | null = null,
  ) {
    const windows = rules.filter((r): r is ThresholdRule => 'window' in r).map((r) => r.window);
    this.keep = micros(Math.max(0, ...windows));
    if (state !== null) {
      for (const [k, list] of Object.entries(state.failures)) this.failures.set(k, list.map(([at, id, user, rhost]) => ({ at, id, user, rhost })));
      for (const [k, until] of Object.entries(state.quiet)) this.quiet.set(k, until);
      for (const [k, list] of Object.entries(state.rhosts)) this.rhosts.set(k, new Set(list));
      for (const id of state.recentIds) this.recent.add(id);
    }
  }

  state(): EngineState {
    return {
      version: 1,
      failures: Object.fromEntries([...this.failures].map(([k, list]) => [k, list.map((s) => [s.at, s.id, s.user, s.rhost] as [Micros, string, string, string | null])])),
      quiet: Object.fromEntries(this.quiet),
      rhosts: Object.fromEntries([...this.rhosts].map(([k, set]) => [k, [...set]])),
      recentIds: [...this.recent],
    };
  }

  /** The alerts a record raises (none for most). A record seen before (same event id) raises none. */
  add(record: LogRecord): Alert[] {
    if (record.event !== 'auth_failure' && record.event !== 'session_open') return [];
    if (this.recent.has(record.event_id)) return [];
    this.recent.add(record.event_id);
    if (this.recent.size > recentIdLimit) this.recent.delete(this.recent.values().next().value as string);
    const at = parseTimestamp(record.ts);
    if (at === null) return [];
    const seen: Seen = { at, id: record.event_id, user: record.user, rhost: record.rhost };
    const alerts: Alert[] = [];
    if (record.event === 'auth_failure') {
      if (record.rhost !== null) this.remember(`r\u0000${record.host}\u0000${record.rhost}`, seen);
      this.remember(`u\u0000${record.host}\u0000${record.user}`, seen);
      for (const rule of this.rules) {
        if (rule.type === 'failures_by_rhost' && record.rhost !== null) {
          this.threshold(rule, `r\u0000${record.host}\u0000${record.rhost}`, record.host, seen, alerts, null, record.rhost,
            (n, w) => `${n} failed logins from ${record.rhost} within ${w} on ${record.host}`);
        } else if (rule.type === 'failures_by_user') {
          this.threshold(rule, `u\u0000${record.host}\u0000${record.user}`, record.host, seen, alerts, record.user, null,
            (n, w) => `${n} failed logins for user ${record.user} within ${w} on ${record.host}`);
        }
      }
      return alerts;
    }
    const rhost = record.rhost === '' ? null : record.rhost;
    for (const rule of this.rules) {
      switch (rule.type) {
        case 'brute_force_success': {
          if (rhost === null) break;
          const quietKey = `${rule.name}\u0000${record.host}\u0000${rhost}\u0000${record.user}`;
          const before = this.within(`r\u0000${record.host}\u0000${rhost}`, at, rule.window);
          if (before.length < rule.threshold || (this.quiet.get(quietKey) ?? -Infinity) > at) break;
          this.quiet.set(quietKey, at + micros(rule.window));
          alerts.push(this.alert(rule, record.host, record.user, rhost, before.length, rule.window, before[0] as Seen, seen,
            `${record.user} logged in from ${rhost} on ${record.host} after ${before.length} failed logins from there within ${windowText(rule.window)}`));
          break;
        }
        case 'root_login':
          if (record.user === 'root' && rhost !== null && !rule.ignoreRhosts.includes(rhost)) {
            alerts.push(this.alert(rule, record.host, 'root', rhost, 1, null, seen, seen, `root logged in from ${rhost} on ${record.host} (${record.service})`));
          }
          break;
        case 'outside_hours':
          if ((rule.users.length === 0 || rule.users.includes(record.user)) && !allowedAt(rule, at)) {
            alerts.push(this.alert(rule, record.host, record.user, rhost, 1, null, seen, seen,
              `${record.user} logged in on ${record.host} at ${localClock(at, rule.zone)} ${rule.zone}, outside the allowed hours`));
          }
          break;
        case 'new_rhost': {
          if (rhost === null) break;
          const known = this.rhosts.get(`${record.host}\u0000${record.user}`);
          if (known !== undefined && known.size > 0 && !known.has(rhost)) {
            alerts.push(this.alert(rule, record.host, record.user, rhost, 1, null, seen, seen,
              `${record.user} logged in on ${record.host} from ${rhost}, never seen for them before`));
          }
          break;
        }
        default:
          break;
      }
    }
    if (rhost !== null) {
      const key = `${record.host}\u0000${record.user}`;
      let known = this.rhosts.get(key);
      if (!known) this.rhosts.set(key, (known = new Set()));
      if (known.size < rhostsPerUser) known.add(rhost);
    }
    return alerts;
  }

  /** Keeps a failure for the windows of the rules; drops what no window reaches any more. */
  private remember(key: string, seen: Seen): void {
    let list = this.failures.get(key);
    if (!list) this.failures.set(key, (list = []));
    // Usually appended in time order; an older record is put in its place.
    let i = list.length;
    while (i > 0 && (list[i - 1] as Seen).at > seen.at) i--;
    list.splice(i, 0, seen);
    const newest = (list[list.length - 1] as Seen).at;
    let drop = 0;
    while (drop < list.length && (list[drop] as Seen).at < newest - this.keep) drop++;
    if (drop > 0) list.splice(0, drop);
    for (const [k, until] of this.quiet) if (until < newest - this.keep) this.quiet.delete(k);
  }

  private within(key: string, at: Micros, window: number): Seen[] {
    return (this.failures.get(key) ?? []).filter((s) => s.at <= at && s.at >= at - micros(window));
  }

  private threshold(rule: ThresholdRule, key: string, host: string, seen: Seen, alerts: Alert[], user: string | null, rhost: string | null, message: (n: number, window: string) => string): void {
    const quietKey = `${rule.name}\u0000${key}`;
    if ((this.quiet.get(quietKey) ?? -Infinity) > seen.at) return;
    const hits = this.within(key, seen.at, rule.window);
    if (hits.length < rule.threshold) return;
    this.quiet.set(quietKey, seen.at + micros(rule.window));
    alerts.push(this.alert(rule, host, user, rhost, hits.length, rule.window, hits[0] as Seen, hits[hits.length - 1] as Seen, message(hits.length, windowText(rule.window))));
  }

  private alert(rule: Rule, host: string, user: string | null, rhost: string | null, count: number, window: number | null, first: Seen, last: Seen, message: string): Alert {
    return {
      schema: alertSchema,
      alert_id: uuidV5(`alert\u0000${rule.name}\u0000${host}\u0000${user ?? ''}\u0000${rhost ?? ''}\u0000${first.id}\u0000${last.id}`),
      rule: rule.name,
      type: rule.type,
      severity: rule.severity,
      ts: formatTimestamp(last.at),
      host,
      user,
      rhost,
      count,
      window_s: window,
      first_event_id: first.id,
      last_event_id: last.id,
      first_ts: formatTimestamp(first.at),
      last_ts: formatTimestamp(last.at),
      message,
    };
  }
}

const weekdays: Record<string, number> = { Sun: 0, Mon: 1, Tue: 2, Wed: 3, Thu: 4, Fri: 5, Sat: 6 };
const clocks = new Map<string, Intl.DateTimeFormat>();

function localParts(at: Micros, zone: string): { day: number; minute: number; text: string } {
  let f = clocks.get(zone);
  if (!f) clocks.set(zone, (f = new Intl.DateTimeFormat('en-US', { timeZone: zone, weekday: 'short', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' })));
  const parts = Object.fromEntries(f.formatToParts(new Date(at / 1000)).map((p) => [p.type, p.value]));
  const [h, m] = [Number(parts['hour']), Number(parts['minute'])];
  return { day: weekdays[parts['weekday'] as string] ?? 0, minute: h * 60 + m, text: `${parts['weekday']} ${parts['hour']}:${parts['minute']}` };
}

function localClock(at: Micros, zone: string): string {
  return localParts(at, zone).text;
}

/** Whether a login at `at` falls in the rule's allowed hours and days (hours may wrap midnight). */
export function allowedAt(rule: Pick<HoursRule, 'from' | 'to' | 'days' | 'zone'>, at: Micros): boolean {
  const { day, minute } = localParts(at, rule.zone);
  const inHours = rule.from < rule.to ? minute >= rule.from && minute < rule.to : minute >= rule.from || minute < rule.to;
  return inHours && rule.days.includes(day);
}
