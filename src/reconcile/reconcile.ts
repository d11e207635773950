// Turns `logsphere/1` events into sessions with honest ends (DESIGN.md, "Ending a session").
// File order is not trusted: events are deduplicated by event_id and ordered by time per host,
// so inputs from many hosts may come merged and unsorted.

import { durationSeconds, parseTimestamp } from '../record/time.ts';
import type {
  BootRecord,
  SessionCloseRecord,
  SessionOpenRecord,
  SessionRecord,
  ShutdownRecord,
} from '../record/types.ts';
import type { Liveness, Reconciled, Session, SystemEvent } from './types.ts';

interface Timed<T> {
  at: number;
  record: T;
}

interface HostHistory {
  boots: Array<Timed<BootRecord>>;
  shutdowns: Array<Timed<ShutdownRecord>>;
}

const at = (ts: string) => parseTimestamp(ts) ?? 0;
const compare = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
const byTime = <T extends { event_id: string }>(a: Timed<T>, b: Timed<T>) =>
  a.at - b.at || compare(a.record.event_id, b.record.event_id);

/** The key a close with a null session id is paired by. */
function pairingKey(r: SessionOpenRecord | SessionCloseRecord): string {
  return JSON.stringify([r.host, r.pid, r.pid_start, r.service, r.user, r.tty]);
}

function sessionFrom(open: SessionOpenRecord): Session {
  return {
    session_id: open.session_id,
    host: open.host,
    user: open.user,
    uid: open.uid,
    tty: open.tty,
    rhost: open.rhost,
    service: open.service,
    pid: open.pid,
    pid_start: open.pid_start,
    boot_id: open.boot_id,
    login_time: open.ts,
    logout_time: null,
    duration_s: null,
    end: null,
  };
}

function ended(session: Session, end: Session['end'], logoutTime: string | null): Session {
  const duration = logoutTime === null ? null : Math.max(0, durationSeconds(at(session.login_time), at(logoutTime)));
  return { ...session, end, logout_time: logoutTime, duration_s: duration };
}

/** The end of a session without a close, from its host's boots and shutdowns. */
function endWithoutClose(session: Session, opened: number, history: HostHistory | undefined, alive: Liveness): Session {
  const nextBoot = history?.boots.find((b) => b.at > opened && b.record.boot_id !== session.boot_id);
  const shutdown = history?.shutdowns.find(
    (s) => s.at >= opened && (nextBoot === undefined || s.at <= nextBoot.at),
  );
  if (shutdown) return ended(session, 'down', shutdown.record.ts);
  // The kernel's boot time, not the boot record's: the session ended before the host came back.
  if (nextBoot) return ended(session, 'crash', nextBoot.record.boot_time);
  return alive(session) === false ? ended(session, 'gone', null) : session;
}

export function reconcile(records: Iterable<SessionRecord>, alive: Liveness = () => null): Reconciled {
  const seen = new Set<string>();
  let duplicates = 0;
  const opens = new Map<string, Timed<SessionOpenRecord>>();
  const closes: Array<Timed<SessionCloseRecord>> = [];
  const hosts = new Map<string, HostHistory>();
  const historyOf = (host: string) => {
    let h = hosts.get(host);
    if (!h) hosts.set(host, (h = { boots: [], shutdowns: [] }));
    return h;
  };

  for (const record of records) {
    if (seen.has(record.event_id)) {
      duplicates++;
      continue;
    }
    seen.add(record.event_id);
    const timed = { at: at(record.ts), record };
    switch (record.event) {
      case 'session_open': {
        const earlier = opens.get(record.session_id);
        // The same session id twice with different event ids: keep the earlier open.
        if (!earlier || timed.at < earlier.at) opens.set(record.session_id, timed as Timed<SessionOpenRecord>);
        break;
      }
      case 'session_close':
        closes.push(timed as Timed<SessionCloseRecord>);
        break;
      case 'boot':
        historyOf(record.host).boots.push(timed as Timed<BootRecord>);
        break;
      case 'shutdown':
        historyOf(record.host).shutdowns.push(timed as Timed<ShutdownRecord>);
        break;
      case 'auth_failure':
        break;
    }
  }
  for (const h of hosts.values()) {
    h.boots.sort(byTime);
    h.shutdowns.sort(byTime);
  }

  // Closes with a session id pair directly; null ids pair with the latest earlier open of the
  // same host/pid/pid_start/service/user/tty that has no close yet.
  const closed = new Map<string, Timed<SessionCloseRecord>>();
  const unnamed: Array<Timed<SessionCloseRecord>> = [];
  let closesWithoutOpen = 0;
  for (const close of closes.sort(byTime)) {
    const id = close.record.session_id;
    if (id === null) unnamed.push(close);
    else if (!opens.has(id)) closesWithoutOpen++;
    else if (!closed.has(id) || close.at < (closed.get(id) as Timed<SessionCloseRecord>).at) closed.set(id, close);
  }
  if (unnamed.length > 0) {
    const candidates = new Map<string, Array<Timed<SessionOpenRecord>>>();
    for (const open of opens.values()) {
      const key = pairingKey(open.record);
      const list = candidates.get(key) ?? [];
      list.push(open);
      candidates.set(key, list);
    }
    for (const list of candidates.values()) list.sort(byTime);
    for (const close of unnamed) {
      const list = candidates.get(pairingKey(close.record)) ?? [];
      let match: Timed<SessionOpenRecord> | undefined;
      for (const open of list) {
        if (open.at > close.at) break;
        if (!closed.has(open.record.session_id)) match = open;
      }
      if (match) closed.set(match.record.session_id, close);
      else closesWithoutOpen++;
    }
  }

  const sessions: Session[] = [];
  for (const [id, open] of opens) {
    const session = sessionFrom(open.record);
    const close = closed.get(id);
    sessions.push(
      close
        ? ended(session, 'logout', close.record.ts)
        : endWithoutClose(session, open.at, hosts.get(open.record.host), alive),
    );
  }
  // Ties broken by fields, not input order: the answer must not depend on how inputs were merged.
  sessions.sort(
    (a, b) => at(a.login_time) - at(b.login_time) || compare(a.host, b.host) || compare(a.session_id, b.session_id),
  );

  const system: SystemEvent[] = [];
  for (const [host, h] of hosts) {
    for (const b of h.boots) system.push({ event: 'boot', host, boot_id: b.record.boot_id, ts: b.record.ts, kernel: b.record.kernel });
    for (const s of h.shutdowns) system.push({ event: 'shutdown', host, boot_id: s.record.boot_id, ts: s.record.ts, kernel: null });
  }
  system.sort((a, b) => at(a.ts) - at(b.ts) || compare(a.host, b.host) || compare(a.event, b.event));

  return { sessions, system, counts: { duplicates, closesWithoutOpen } };
}
