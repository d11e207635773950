// The security report over a period: sessions per user and host, session time, peak concurrent
// sessions, crashes and gone sessions, failed logins by remote host and user, the alerts watch
// raised, logins and failures per day, concurrent sessions over time, and optionally web-server
// errors. Built from reconciled sessions, failures and alerts; rendered elsewhere.

import type { Alert } from '../alerts/engine.ts';
import { summarize, type Failure, type FailureSummary } from '../failures/failures.ts';
import { durationSeconds, formatTimestamp, type Micros } from '../record/time.ts';
import { End, endNames, type PeriodSessions } from '../reconcile/reconcile.ts';
import type { Session } from '../reconcile/types.ts';
import { datesBetween, zonedDate } from '../time/zoned-time.ts';
import type { AccessSummary } from './access-log.ts';

export const reportSchema = 'logsphere-report/1';

export interface UserRow {
  user: string;
  sessions: number;
  total_s: number;
  longest_s: number;
  hosts: number;
}

export interface HostRow {
  host: string;
  sessions: number;
  users: number;
  total_s: number;
  longest_s: number;
  crashes: number;
  gone: number;
}

export interface DayRow {
  /** Date in the report's zone, YYYY-MM-DD. */
  date: string;
  logins: number;
  failures: number;
}

export interface ConcurrencyPoint {
  /** Start of the bucket. */
  t: string;
  /** The most sessions open at once within the bucket. */
  sessions: number;
}

/** A count per week of the period, for one host, user or remote host. */
export interface WeeklySeries {
  key: string;
  counts: number[];
}

/** Weekly series, for a period over a month: weeks start at `since`, every 7 days. */
export interface WeeklyTrends {
  weeks: string[];
  logins: number[];
  distinct_users: number[];
  failures: number[];
  /** The most sessions open at once within each week. */
  peak_concurrent: number[];
  /** The 10 hosts, users and remote hosts with the most logins (failed logins) over the period. */
  logins_by_host: WeeklySeries[];
  logins_by_user: WeeklySeries[];
  failures_by_rhost: WeeklySeries[];
}

export interface Report {
  schema: typeof reportSchema;
  generated_at: string;
  /** The time zone the report's days and local times are in (IANA name). */
  zone: string;
  since: string;
  until: string;
  hosts: string[];
  totals: {
    sessions: number;
    users: number;
    session_s: number;
    longest_s: number;
    failures: number;
    alerts: number;
    crashes: number;
    gone: number;
    still_open: number;
    peak_concurrent: number;
    peak_at: string | null;
  };
  ends: Record<'logout' | 'down' | 'crash' | 'gone' | 'open', number>;
  by_user: UserRow[];
  by_host: HostRow[];
  failures_by_rhost: FailureSummary[];
  failures_by_user: FailureSummary[];
  alerts_by_rule: Array<{ rule: string; severity: string; count: number }>;
  recent_alerts: Array<Pick<Alert, 'ts' | 'rule' | 'severity' | 'host' | 'message'>>;
  daily: DayRow[];
  concurrency: { bucket_s: number; points: ConcurrencyPoint[] };
  access: AccessSummary | null;
  warnings: string[];
  /** Over a period longer than a month: weekly series (trends). */
  weekly?: WeeklyTrends;
}

/** What the report counts of a session: who, where, how it ended, and when. */
export interface ReportSession {
  user: string;
  host: string;
  end: Session['end'];
  loginAt: Micros;
  /** When it ended (the close, the shutdown, the kernel's next boot); null while open and for `gone`. */
  endAt: Micros | null;
}

/** Sessions given one by one (tests, small inputs) as the columns buildReport counts. */
export function periodSessionsOf(list: readonly ReportSession[]): PeriodSessions {
  const out: PeriodSessions = {
    count: list.length, loginAt: new Float64Array(list.length), endAt: new Float64Array(list.length), end: new Uint8Array(list.length),
    user: new Int32Array(list.length), host: new Int32Array(list.length), userNames: [], hostNames: [],
  };
  const number = (names: string[], name: string) => {
    const k = names.indexOf(name);
    return k >= 0 ? k : names.push(name) - 1;
  };
  list.forEach((s, k) => {
    out.loginAt[k] = s.loginAt;
    out.endAt[k] = s.endAt ?? Number.NaN;
    out.end[k] = endNames.indexOf(s.end);
    out.user[k] = number(out.userNames, s.user);
    out.host[k] = number(out.hostNames, s.host);
  });
  return out;
}

export interface ReportInput {
  /** The sessions, in login order (ReconciledSessions.period). */
  sessions: PeriodSessions;
  failures: readonly Failure[];
  alerts: readonly Alert[];
  access: AccessSummary | null;
  since: Micros;
  until: Micros;
  now: Micros;
  /** The time zone whose calendar days the per-day counts follow (IANA name). */
  zone: string;
  warnings: string[];
}

const top = 10;

export function buildReport(input: ReportInput): Report {
  const { since, until } = input;
  const { sessions: list } = input;
  // Rows by user and by host, in the order they first come (the order of ties when sorted); the
  // pairs of user and host met so far as user * hostCount + host (a new one: a host more for the
  // user, a user more for the host).
  const hostCount = list.hostNames.length;
  const users: UserRow[] = [];
  const userRow = new Int32Array(list.userNames.length).fill(-1);
  const hosts: HostRow[] = [];
  const hostRow = new Int32Array(hostCount).fill(-1);
  const pairs = new Set<number>();
  const ends = { logout: 0, down: 0, crash: 0, gone: 0, open: 0 };
  const localDate = (at: Micros) => zonedDate(at, input.zone);
  const daily = new Map(datesBetween(localDate(since), localDate(until)).map((date) => [date, { date, logins: 0, failures: 0 }]));
  // Concurrent sessions: when each session counted begins and ends within the period.
  const startTimes = new Float64Array(list.count);
  const endTimes = new Float64Array(list.count);
  let spans = 0;
  let sessions = 0;
  let sessionS = 0;
  let longest = 0;
  // Weekly series, over a period longer than a month.
  const weekMicros = 7 * 86_400_000_000;
  const weekCount = until - since > 31 * 86_400_000_000 ? Math.ceil((until - since) / weekMicros) : 0;
  const weekOf = (at: Micros) => Math.min(weekCount - 1, Math.floor((at - since) / weekMicros));
  const zeros = () => new Array<number>(weekCount).fill(0);
  const weekLogins = zeros();
  const weekUsers = Array.from({ length: weekCount }, () => new Set<number>());
  const hostWeeks: Array<number[] | undefined> = [];
  const userWeeks: Array<number[] | undefined> = [];
  const countWeek = (series: Array<number[] | undefined>, key: number, week: number) => {
    const counts = (series[key] ??= zeros());
    counts[week] = (counts[week] as number) + 1;
  };

  for (let k = 0; k < list.count; k++) {
    const login = list.loginAt[k] as number;
    const endCode = list.end[k] as number;
    const stop = list.endAt[k] as number;
    const logout = Number.isNaN(stop) ? (endCode === End.gone ? login : input.now) : stop;
    if (login > until || logout < since) continue;
    sessions++;
    const user = list.user[k] as number;
    const host = list.host[k] as number;
    const from = Math.max(login, since);
    const to = Math.min(logout, until);
    const inPeriod = Math.max(0, durationSeconds(from, to));
    const whole = Math.max(0, durationSeconds(login, logout));
    sessionS += inPeriod;
    longest = Math.max(longest, whole);
    ends[endNames[endCode] ?? 'open']++;
    if (login >= since) {
      const day = daily.get(localDate(login));
      if (day) day.logins++;
      if (weekCount > 0) {
        const week = weekOf(login);
        weekLogins[week] = (weekLogins[week] as number) + 1;
        weekUsers[week]?.add(user);
        countWeek(hostWeeks, host, week);
        countWeek(userWeeks, user, week);
      }
    }
    if (to > from) {
      startTimes[spans] = from;
      endTimes[spans++] = to;
    }

    let r = userRow[user] as number;
    if (r < 0) userRow[user] = r = users.push({ user: list.userNames[user] as string, sessions: 0, total_s: 0, longest_s: 0, hosts: 0 }) - 1;
    const u = users[r] as UserRow;
    u.sessions++;
    u.total_s += inPeriod;
    u.longest_s = Math.max(u.longest_s, whole);
    r = hostRow[host] as number;
    if (r < 0) hostRow[host] = r = hosts.push({ host: list.hostNames[host] as string, sessions: 0, users: 0, total_s: 0, longest_s: 0, crashes: 0, gone: 0 }) - 1;
    const h = hosts[r] as HostRow;
    const known = pairs.size;
    if (pairs.add(user * hostCount + host).size > known) {
      u.hosts++;
      h.users++;
    }
    h.sessions++;
    h.total_s += inPeriod;
    h.longest_s = Math.max(h.longest_s, whole);
    if (endCode === End.crash) h.crashes++;
    if (endCode === End.gone) h.gone++;
  }

  // A sweep over the startTimes and the ends, each sorted (an end before a start at the same instant).
  const startsSorted = startTimes.subarray(0, spans).sort();
  const endsSorted = endTimes.subarray(0, spans).sort();
  const span = until - since;
  const bucketS = span <= 2 * 86_400_000_000 ? 3600 : span <= 31 * 86_400_000_000 ? 3600 * 6 : 86400;
  const bucketCount = Math.max(1, Math.ceil(span / (bucketS * 1e6)));
  const peaks = new Array<number>(bucketCount).fill(0);
  let open = 0;
  let peak = 0;
  let peakAt: Micros | null = null;
  let si = 0;
  let ei = 0;
  for (let bucket = 0; bucket < bucketCount; bucket++) {
    const start = since + bucket * bucketS * 1e6;
    const end = start + bucketS * 1e6;
    // A session that ends as the bucket begins is not open in it.
    while (ei < spans && (endsSorted[ei] as number) <= start) {
      ei++;
      open--;
    }
    let bucketPeak = open;
    for (;;) {
      const nextEnd = ei < spans ? (endsSorted[ei] as number) : Infinity;
      const nextStart = si < spans ? (startsSorted[si] as number) : Infinity;
      if (nextEnd <= nextStart) {
        if (nextEnd >= end) break;
        ei++;
        open--;
      } else {
        if (nextStart >= end) break;
        si++;
        open++;
        if (open > bucketPeak) bucketPeak = open;
        if (open > peak) [peak, peakAt] = [open, nextStart];
      }
    }
    peaks[bucket] = bucketPeak;
  }

  const weekFailures = zeros();
  const rhostWeeks = new Map<string, number[]>();
  for (const f of input.failures) {
    const day = daily.get(localDate(f.at));
    if (day) day.failures++;
    if (weekCount > 0 && f.at >= since && f.at <= until) {
      const week = weekOf(f.at);
      weekFailures[week] = (weekFailures[week] as number) + 1;
      const rhost = f.rhost ?? '-';
      let counts = rhostWeeks.get(rhost);
      if (counts === undefined) rhostWeeks.set(rhost, (counts = zeros()));
      counts[week] = (counts[week] as number) + 1;
    }
  }
  // A week's peak: the most of its buckets' (a day's, over a period this long; weeks start with a bucket).
  const perWeek = (7 * 86400) / bucketS;
  const weekPeaks = Array.from({ length: weekCount }, (_, w) => Math.max(0, ...peaks.slice(w * perWeek, (w + 1) * perWeek)));
  const topTen = (series: Iterable<readonly [string, number[]]>): WeeklySeries[] =>
    [...series]
      .map(([key, counts]) => ({ key, counts, total: counts.reduce((a, b) => a + b, 0) }))
      .sort((a, b) => b.total - a.total || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
      .slice(0, top)
      .map(({ key, counts }) => ({ key, counts }));
  const weekly: WeeklyTrends | null =
    weekCount === 0
      ? null
      : {
          weeks: Array.from({ length: weekCount }, (_, w) => formatTimestamp(since + w * weekMicros)),
          logins: weekLogins,
          distinct_users: weekUsers.map((u) => u.size),
          failures: weekFailures,
          peak_concurrent: weekPeaks,
          logins_by_host: topTen(named(hostWeeks, list.hostNames)),
          logins_by_user: topTen(named(userWeeks, list.userNames)),
          failures_by_rhost: topTen(rhostWeeks),
        };
  const alertsByRule = new Map<string, { rule: string; severity: string; count: number }>();
  for (const a of input.alerts) {
    const r = alertsByRule.get(a.rule) ?? { rule: a.rule, severity: a.severity, count: 0 };
    r.count++;
    alertsByRule.set(a.rule, r);
  }

  const byCount = <T extends { sessions: number; total_s: number }>(a: T, b: T) => b.sessions - a.sessions || b.total_s - a.total_s;
  return {
    schema: reportSchema,
    generated_at: formatTimestamp(input.now),
    zone: input.zone,
    since: formatTimestamp(since),
    until: formatTimestamp(until),
    hosts: hosts.map((h) => h.host).sort(),
    totals: {
      sessions,
      users: users.length,
      session_s: round(sessionS),
      longest_s: round(longest),
      failures: input.failures.length,
      alerts: input.alerts.length,
      crashes: ends.crash,
      gone: ends.gone,
      still_open: ends.open,
      peak_concurrent: peak,
      peak_at: peakAt === null ? null : formatTimestamp(peakAt),
    },
    ends,
    by_user: users.sort(byCount).map((u) => ({ ...u, total_s: round(u.total_s), longest_s: round(u.longest_s) })),
    by_host: hosts.sort(byCount).map((h) => ({ ...h, total_s: round(h.total_s), longest_s: round(h.longest_s) })),
    failures_by_rhost: summarize(input.failures, 'rhost').slice(0, top),
    failures_by_user: summarize(input.failures, 'user').slice(0, top),
    alerts_by_rule: [...alertsByRule.values()].sort((a, b) => b.count - a.count || (a.rule < b.rule ? -1 : 1)),
    // The most severe first, then the newest.
    recent_alerts: [...input.alerts].sort((a, b) => severityRank(b.severity) - severityRank(a.severity) || (a.ts < b.ts ? 1 : a.ts > b.ts ? -1 : 0)).slice(0, 20).map((a) => ({ ts: a.ts, rule: a.rule, severity: a.severity, host: a.host, message: a.message })),
    daily: [...daily.values()],
    concurrency: { bucket_s: bucketS, points: peaks.map((sessions, i) => ({ t: formatTimestamp(since + i * bucketS * 1e6), sessions })) },
    access: input.access,
    warnings: input.warnings,
    ...(weekly === null ? {} : { weekly }),
  };
}

/** The series kept by number, with their names. */
function* named(series: ReadonlyArray<number[] | undefined>, names: readonly string[]): Iterable<readonly [string, number[]]> {
  for (let k = 0; k < series.length; k++) {
    const counts = series[k];
    if (counts !== undefined) yield [names[k] as string, counts];
  }
}

const severities = ['info', 'notice', 'warning', 'critical'];
/** How severe an alert is: info 0 … critical 3 (anything else below info). */
export function severityRank(severity: string): number {
  return severities.indexOf(severity);
}

const round = (seconds: number) => Math.round(seconds * 1e6) / 1e6;
