// Turns `logsphere/1` events into sessions with honest ends (DESIGN.md, "Ending a session").
// File order is not trusted: events may come merged from many hosts and unsorted, and a
// duplicated event counts once. Records are added one at a time and kept in columns rather than
// as objects, so that a million events fit in little memory (`last` over a whole history).

import { durationSeconds, formatTimestamp, parseTimestamp, type Micros } from '../record/time.ts';
import type { SessionCloseRecord, SessionRecord } from '../record/types.ts';
import type { Liveness, Reconciled, Session, SystemEvent } from './types.ts';

const compare = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

interface HostHistory {
  boots: Array<{ at: Micros; bootId: string; bootTime: string; ts: string; kernel: string; id: string }>;
  shutdowns: Array<{ at: Micros; bootId: string; ts: string; id: string }>;
}

interface UnnamedClose {
  at: Micros;
  id: string;
  key: string;
}

/** The key a close with a null session id is paired by. */
function pairingKey(r: { host: string; pid: number; pid_start: number; service: string; user: string; tty: string | null }): string {
  return JSON.stringify([r.host, r.pid, r.pid_start, r.service, r.user, r.tty]);
}

export class Reconciler {
  // One entry per session, column by column.
  private readonly sessionIds: string[] = [];
  private readonly hosts: string[] = [];
  private readonly users: string[] = [];
  private readonly uids: Array<number | null> = [];
  private readonly ttys: Array<string | null> = [];
  private readonly rhosts: Array<string | null> = [];
  private readonly services: string[] = [];
  private readonly pids: number[] = [];
  private readonly pidStarts: number[] = [];
  private readonly bootIds: string[] = [];
  private readonly loginAt: Micros[] = [];
  private readonly logoutAt: Micros[] = []; // NaN: no close
  private readonly openEvent: string[] = [];

  private readonly bySessionId = new Map<string, number>();
  /** Closes that came before their open: session id → time. */
  private readonly earlyCloses = new Map<string, Micros>();
  private readonly unnamed: UnnamedClose[] = [];
  private readonly history = new Map<string, HostHistory>();
  private readonly systemIds = new Set<string>();
  private readonly strings = new Map<string, string>();
  private duplicates = 0;

  /** One copy of each repeated string (hosts, users, ttys, services, boot ids). */
  private intern<T extends string | null>(value: T): T {
    if (value === null) return value;
    const known = this.strings.get(value);
    if (known !== undefined) return known as T;
    this.strings.set(value, value);
    return value;
  }

  private historyOf(host: string): HostHistory {
    let h = this.history.get(host);
    if (!h) this.history.set(host, (h = { boots: [], shutdowns: [] }));
    return h;
  }

  add(record: SessionRecord): void {
    const at = parseTimestamp(record.ts) ?? 0;
    switch (record.event) {
      case 'session_open': {
        const known = this.bySessionId.get(record.session_id);
        if (known !== undefined) {
          // The same open again (or the same id twice): keep the earlier.
          this.duplicates++;
          if (at < (this.loginAt[known] as number)) this.loginAt[known] = at;
          return;
        }
        const i = this.sessionIds.length;
        this.bySessionId.set(record.session_id, i);
        this.sessionIds.push(record.session_id);
        this.hosts.push(this.intern(record.host));
        this.users.push(this.intern(record.user));
        this.uids.push(record.uid);
        this.ttys.push(this.intern(record.tty));
        this.rhosts.push(this.intern(record.rhost));
        this.services.push(this.intern(record.service));
        this.pids.push(record.pid);
        this.pidStarts.push(record.pid_start);
        this.bootIds.push(this.intern(record.boot_id));
        this.loginAt.push(at);
        this.openEvent.push(record.event_id);
        const early = this.earlyCloses.get(record.session_id);
        if (early !== undefined) this.earlyCloses.delete(record.session_id);
        this.logoutAt.push(early ?? Number.NaN);
        return;
      }
      case 'session_close':
        this.addClose(record, at);
        return;
      case 'boot':
        if (this.systemIds.has(record.event_id)) return void this.duplicates++;
        this.systemIds.add(record.event_id);
        this.historyOf(record.host).boots.push({ at, bootId: record.boot_id, bootTime: record.boot_time, ts: record.ts, kernel: record.kernel, id: record.event_id });
        return;
      case 'shutdown':
        if (this.systemIds.has(record.event_id)) return void this.duplicates++;
        this.systemIds.add(record.event_id);
        this.historyOf(record.host).shutdowns.push({ at, bootId: record.boot_id, ts: record.ts, id: record.event_id });
        return;
      case 'auth_failure':
        return;
    }
  }

  private addClose(record: SessionCloseRecord, at: Micros): void {
    if (record.session_id === null) {
      if (this.systemIds.has(record.event_id)) return void this.duplicates++;
      this.systemIds.add(record.event_id);
      this.unnamed.push({ at, id: record.event_id, key: pairingKey(record) });
      return;
    }
    const i = this.bySessionId.get(record.session_id);
    if (i === undefined) {
      const early = this.earlyCloses.get(record.session_id);
      if (early !== undefined) this.duplicates++;
      if (early === undefined || at < early) this.earlyCloses.set(record.session_id, at);
      return;
    }
    const current = this.logoutAt[i] as number;
    if (!Number.isNaN(current)) this.duplicates++;
    // The earliest close wins (a duplicate or a later one changes nothing).
    if (Number.isNaN(current) || at < current) this.logoutAt[i] = at;
  }

  /** Pairs closes with a null id: each with the latest earlier open of the same process that has no close. */
  private pairUnnamed(): number {
    if (this.unnamed.length === 0) return 0;
    const wanted = new Set(this.unnamed.map((c) => c.key));
    const candidates = new Map<string, number[]>();
    for (let i = 0; i < this.sessionIds.length; i++) {
      const key = pairingKey({
        host: this.hosts[i] as string, pid: this.pids[i] as number, pid_start: this.pidStarts[i] as number,
        service: this.services[i] as string, user: this.users[i] as string, tty: this.ttys[i] as string | null,
      });
      if (!wanted.has(key)) continue;
      const list = candidates.get(key) ?? [];
      list.push(i);
      candidates.set(key, list);
    }
    for (const list of candidates.values()) {
      list.sort((a, b) => (this.loginAt[a] as number) - (this.loginAt[b] as number) || compare(this.openEvent[a] as string, this.openEvent[b] as string));
    }
    let unmatched = 0;
    const closes = [...this.unnamed].sort((a, b) => a.at - b.at || compare(a.id, b.id));
    for (const close of closes) {
      let match = -1;
      for (const i of candidates.get(close.key) ?? []) {
        if ((this.loginAt[i] as number) > close.at) break;
        if (Number.isNaN(this.logoutAt[i] as number)) match = i;
      }
      if (match >= 0) this.logoutAt[match] = close.at;
      else unmatched++;
    }
    return unmatched;
  }

  /** Decides every session's end; call once, after the last add(). */
  finish(alive: Liveness = () => null): ReconciledSessions {
    const closesWithoutOpen = this.earlyCloses.size + this.pairUnnamed();
    for (const h of this.history.values()) {
      h.boots.sort((a, b) => a.at - b.at || compare(a.id, b.id));
      h.shutdowns.sort((a, b) => a.at - b.at || compare(a.id, b.id));
    }
    const n = this.sessionIds.length;
    const ends: Array<Session['end']> = new Array(n);
    const endAt: Micros[] = new Array(n);
    for (let i = 0; i < n; i++) {
      const logout = this.logoutAt[i] as number;
      if (!Number.isNaN(logout)) {
        ends[i] = 'logout';
        endAt[i] = logout;
        continue;
      }
      const opened = this.loginAt[i] as number;
      const bootId = this.bootIds[i] as string;
      const h = this.history.get(this.hosts[i] as string);
      const nextBoot = h?.boots.find((b) => b.at > opened && b.bootId !== bootId);
      const shutdown = h?.shutdowns.find((s) => s.at >= opened && (nextBoot === undefined || s.at <= nextBoot.at));
      if (shutdown) {
        ends[i] = 'down';
        endAt[i] = shutdown.at;
      } else if (nextBoot) {
        // The kernel's boot time, not the boot record's: the session ended before the host came back.
        ends[i] = 'crash';
        endAt[i] = parseTimestamp(nextBoot.bootTime) ?? nextBoot.at;
      } else {
        const runs = alive({ host: this.hosts[i] as string, boot_id: bootId, pid: this.pids[i] as number, pid_start: this.pidStarts[i] as number });
        ends[i] = runs === false ? 'gone' : null;
        endAt[i] = Number.NaN;
      }
    }
    // Ties broken by fields, not input order: the answer must not depend on how inputs were merged.
    const order = Array.from({ length: n }, (_, i) => i).sort(
      (a, b) =>
        (this.loginAt[a] as number) - (this.loginAt[b] as number) ||
        compare(this.hosts[a] as string, this.hosts[b] as string) ||
        compare(this.sessionIds[a] as string, this.sessionIds[b] as string),
    );
    const system: SystemEvent[] = [];
    for (const [host, h] of this.history) {
      for (const b of h.boots) system.push({ event: 'boot', host, boot_id: b.bootId, ts: b.ts, kernel: b.kernel });
      for (const s of h.shutdowns) system.push({ event: 'shutdown', host, boot_id: s.bootId, ts: s.ts, kernel: null });
    }
    system.sort((a, b) => (parseTimestamp(a.ts) ?? 0) - (parseTimestamp(b.ts) ?? 0) || compare(a.host, b.host) || compare(a.event, b.event));

    const session = (i: number): Session => {
      const end = ends[i] as Session['end'];
      const login = this.loginAt[i] as number;
      const stop = endAt[i] as number;
      const ended = !Number.isNaN(stop);
      return {
        session_id: this.sessionIds[i] as string,
        host: this.hosts[i] as string,
        user: this.users[i] as string,
        uid: this.uids[i] as number | null,
        tty: this.ttys[i] as string | null,
        rhost: this.rhosts[i] as string | null,
        service: this.services[i] as string,
        pid: this.pids[i] as number,
        pid_start: this.pidStarts[i] as number,
        boot_id: this.bootIds[i] as string,
        login_time: formatTimestamp(login),
        logout_time: ended ? formatTimestamp(stop) : null,
        duration_s: ended ? Math.max(0, durationSeconds(login, stop)) : null,
        end,
      };
    };
    return {
      count: n,
      order,
      loginAt: (i) => this.loginAt[i] as number,
      hostOf: (i) => this.hosts[i] as string,
      session,
      system,
      counts: { duplicates: this.duplicates, closesWithoutOpen },
    };
  }
}

/** Sessions without materialising them all: `order` lists indexes by login time. */
export interface ReconciledSessions {
  count: number;
  order: number[];
  loginAt(index: number): Micros;
  hostOf(index: number): string;
  session(index: number): Session;
  system: SystemEvent[];
  counts: Reconciled['counts'];
}

export function reconcile(records: Iterable<SessionRecord>, alive: Liveness = () => null): Reconciled {
  const reconciler = new Reconciler();
  for (const record of records) reconciler.add(record);
  const result = reconciler.finish(alive);
  return { sessions: result.order.map((i) => result.session(i)), system: result.system, counts: result.counts };
}
