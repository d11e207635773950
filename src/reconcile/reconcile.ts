// Turns `logsphere/1` events into sessions with honest ends (DESIGN.md, "Ending a session").
// File order is not trusted: events may come merged from many hosts and unsorted, and a
// duplicated event counts once. Records are added one at a time and kept in columns rather than
// as objects, so that a million events fit in little memory (`last` over a whole history).

import type { JsonBytes } from '../record/json-bytes.ts';
import { durationSeconds, formatTimestamp, parseTimestamp, type Micros } from '../record/time.ts';
import type { SessionCloseRecord, LogRecord } from '../record/types.ts';
import { F, floatFields, intFields, Kind, type RecordColumns } from '../input/record-columns.ts';
import { Column, float64, int32, Interner, uint32, UuidTable, uuidWords } from './columns.ts';
import { defaultSwitchServices, type Liveness, type Reconciled, type Session, type SessionKind, type SystemEvent } from './types.ts';

/** How each session ended, one byte per session: an index into endNames. */
export const End = { open: 0, logout: 1, down: 2, crash: 3, gone: 4 } as const;
export const endNames: ReadonlyArray<Session['end']> = [null, 'logout', 'down', 'crash', 'gone'];
const endName = (code: number | undefined): Session['end'] => endNames[code ?? End.open] ?? null;

/** uid column value for a user without a uid (4294967295 is never a valid uid). */
const noUid = 0xffffffff;
/** audit session column value for none (the kernel's own "unset"). */
const noAuditSession = 0xffffffff;

const compare = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** The fixed parts of a session's JSON (sessionJson's keys, in its order). */
const bytes = (text: string) => Buffer.from(text, 'latin1');
const nullBytes = bytes('null');
const keys = {
  sessionId: bytes('{"session_id":"'), dash: bytes('-'), host: bytes('","host":'), user: bytes(',"user":'), uid: bytes(',"uid":'),
  tty: bytes(',"tty":'), pty: bytes(',"pty":'), rhost: bytes(',"rhost":'), service: bytes(',"service":'),
  kindLogin: bytes(',"kind":"login","pid":'), kindSwitch: bytes(',"kind":"switch","pid":'), loginTime: bytes(',"login_time":"'),
  noLogout: bytes('","logout_time":null,"duration_s":null'), logoutTime: bytes('","logout_time":"'), duration: bytes('","duration_s":'),
  noEnd: bytes(',"end":null}'), ends: Object.fromEntries(endNames.filter((e) => e !== null).map((e) => [e, bytes(`,"end":"${e}"}`)])),
};
/** The most a session's JSON takes beside its strings (keys, id, numbers, times). */
const sessionJsonRoom = 400;

interface HostHistory {
  boots: Array<{ at: Micros; bootId: string; bootTime: string; ts: string; kernel: string; id: string }>;
  shutdowns: Array<{ at: Micros; bootId: string; ts: string; id: string }>;
}

interface UnnamedClose {
  at: Micros;
  id: string;
  key: string;
  pty: string | null;
}

/**
 * A boot, shutdown or close without a session id, by its event id: of two records with one id the
 * earlier counts, whichever was read first (files in any order, the log read newest first).
 */
type SystemRecord =
  | { at: Micros; host: string; boot: HostHistory['boots'][number] }
  | { at: Micros; host: string; shutdown: HostHistory['shutdowns'][number] }
  | { at: Micros; host: string; unnamed: UnnamedClose };

export interface ReconcileOptions {
  /** PAM services whose sessions are user switches, not logins (default: defaultSwitchServices). */
  switchServices?: readonly string[] | undefined;
}

/** The key a close with a null session id is paired by (and the checkpoint prunes by). */
export function pairingKey(r: { host: string; pid: number; pid_start: number; service: string; user: string; tty: string | null }): string {
  return JSON.stringify([r.host, r.pid, r.pid_start, r.service, r.user, r.tty]);
}

export class Reconciler {
  // One entry per session, column by column; strings as numbers of the interning table.
  private readonly ids = new UuidTable();
  private readonly strings = new Interner();
  private readonly hosts = int32();
  private readonly users = int32();
  private readonly uids = uint32(); // noUid: null
  private readonly ttys = int32();
  private readonly ptys = int32(); // from the close; -1: none
  private readonly rhosts = int32();
  private readonly services = int32();
  private readonly pids = int32();
  private readonly pidStarts = float64();
  private readonly audits = uint32(); // noAuditSession: none
  private readonly bootIds = int32();
  private readonly loginAt = float64();
  private readonly logoutAt = float64(); // NaN: no close

  /**
   * Of the sessions with more than one close, when the close was that gave the pty (ptyOf): the
   * time of a session's only close is its logout time.
   */
  private readonly ptyAt = new Map<number, Micros>();
  /**
   * Closes that came before their open (newest first reads meet most so), by session id: the
   * earliest time and the pty (-1: none) as for a session (ptyOf); the time is NaN once the open came.
   */
  private early: { ids: UuidTable; at: Column<Float64Array>; ptys: Column<Int32Array>; ptyAt: Map<number, Micros>; waiting: number } | null = null;
  private readonly unnamed: UnnamedClose[] = [];
  private readonly history = new Map<string, HostHistory>();
  private readonly system = new Map<string, SystemRecord>();
  private duplicates = 0;
  private readonly switchServices: ReadonlySet<string>;

  constructor(options: ReconcileOptions = {}) {
    this.switchServices = new Set(options.switchServices ?? defaultSwitchServices);
  }

  private historyOf(host: string): HostHistory {
    let h = this.history.get(host);
    if (!h) this.history.set(host, (h = { boots: [], shutdowns: [] }));
    return h;
  }

  add(record: LogRecord): void {
    const at = parseTimestamp(record.ts) ?? 0;
    switch (record.event) {
      case 'session_open': {
        const id = (value: string | null) => this.strings.id(value);
        this.addOpen(
          uuidWords(record.session_id), id(record.host), id(record.user), record.uid ?? noUid, id(record.tty), id(record.rhost), id(record.service),
          record.pid, record.pid_start, record.audit_session ?? noAuditSession, id(record.boot_id), at,
        );
        return;
      }
      case 'session_close':
        this.addClose(record, at);
        return;
      case 'boot':
        this.addSystem(record.event_id, { at, host: record.host, boot: { at, bootId: record.boot_id, bootTime: record.boot_time, ts: record.ts, kernel: record.kernel, id: record.event_id } });
        return;
      case 'shutdown':
        this.addSystem(record.event_id, { at, host: record.host, shutdown: { at, bootId: record.boot_id, ts: record.ts, id: record.event_id } });
        return;
      case 'auth_failure':
        return;
    }
  }

  /**
   * Adds the records of a segment kept in columns (record-columns.ts): the same as add() of each,
   * without a record object for any of them.
   */
  addColumns(c: RecordColumns): void {
    const { ints, floats, strings } = c;
    const base = this.strings.addTable(strings);
    const sid = (k: number): number => (k < 0 ? -1 : base + k);
    const str = (k: number): string | null => (k < 0 ? null : strings.get(k));
    const w = [0, 0, 0, 0];
    for (let i = 0; i < c.count; i++) {
      const b = i * intFields;
      const fb = i * floatFields;
      const at = floats[fb] as number;
      const kind = ints[b + F.kind];
      if (kind === Kind.failure) continue;
      if (kind === Kind.boot || kind === Kind.shutdown) {
        const id = str(ints[b + F.eventId] as number) as string;
        const host = str(ints[b + F.host] as number) as string;
        const bootId = str(ints[b + F.bootId] as number) as string;
        const ts = str(ints[b + F.ts] as number) as string;
        if (kind === Kind.boot) this.addSystem(id, { at, host, boot: { at, bootId, bootTime: str(ints[b + F.bootTime] as number) as string, ts, kernel: str(ints[b + F.kernel] as number) as string, id } });
        else this.addSystem(id, { at, host, shutdown: { at, bootId, ts, id } });
        continue;
      }
      const named = ints[b + F.eventId] === -1;
      if (named) for (let k = 0; k < 4; k++) w[k] = (ints[b + F.s0 + k] as number) >>> 0;
      if (kind === Kind.open) {
        this.addOpen(
          w, sid(ints[b + F.host] as number), sid(ints[b + F.user] as number), (ints[b + F.uid] as number) >>> 0, sid(ints[b + F.tty] as number),
          sid(ints[b + F.rhost] as number), sid(ints[b + F.service] as number), floats[fb + 2] as number, floats[fb + 1] as number,
          (ints[b + F.audit] as number) >>> 0, sid(ints[b + F.bootId] as number), at,
        );
        continue;
      }
      const ptyId = ints[b + F.pty] as number;
      if (!named) {
        const id = str(ints[b + F.eventId] as number) as string;
        const host = str(ints[b + F.host] as number) as string;
        const key = pairingKey({
          host, pid: floats[fb + 2] as number, pid_start: floats[fb + 1] as number,
          service: str(ints[b + F.service] as number) as string, user: str(ints[b + F.user] as number) as string, tty: str(ints[b + F.tty] as number),
        });
        this.addSystem(id, { at, host, unnamed: { at, id, key, pty: str(ptyId) } });
        continue;
      }
      const found = this.ids.findWords(w);
      if (found < 0) {
        this.earlyClose(w, at, sid(ptyId));
        continue;
      }
      this.closeAt(found, at, sid(ptyId));
    }
  }

  /** A boot, shutdown or id-less close by its event id, kept until finish(): the earliest copy counts. */
  private addSystem(id: string, entry: SystemRecord): void {
    const known = this.system.get(id);
    if (known === undefined) return void this.system.set(id, entry);
    this.duplicates++;
    if (entry.at < known.at) this.system.set(id, entry);
  }

  /**
   * An open, its session id as words and its strings as ids of the interning table: a new session,
   * or the same open again (or the same id twice), of which the earlier counts, whichever was read first.
   */
  private addOpen(
    w: readonly number[], host: number, user: number, uid: number, tty: number, rhost: number, service: number,
    pid: number, pidStart: number, audit: number, bootId: number, at: Micros,
  ): void {
    const known = this.ids.findWords(w);
    if (known < 0) {
      this.ids.addWords(w);
      this.pushOpen(host, user, uid, tty, rhost, service, pid, pidStart, audit, bootId, at, w);
      return;
    }
    this.duplicates++;
    if (at < this.loginAt.get(known)) this.setOpen(known, host, user, uid, tty, rhost, service, pid, pidStart, audit, bootId, at);
  }

  /** Session `i`'s columns from an earlier copy of its open (its close, or a close met before it, stay). */
  private setOpen(
    i: number, host: number, user: number, uid: number, tty: number, rhost: number, service: number,
    pid: number, pidStart: number, audit: number, bootId: number, at: Micros,
  ): void {
    this.hosts.set(i, host);
    this.users.set(i, user);
    this.uids.set(i, uid);
    this.ttys.set(i, tty);
    this.rhosts.set(i, rhost);
    this.services.set(i, service);
    this.pids.set(i, pid);
    this.pidStarts.set(i, pidStart);
    this.audits.set(i, audit);
    this.bootIds.set(i, bootId);
    this.loginAt.set(i, at);
  }

  /**
   * A new session's columns, strings as ids of the interning table. `id`: its session id's words,
   * to take a close met before it.
   */
  private pushOpen(
    host: number, user: number, uid: number, tty: number, rhost: number, service: number,
    pid: number, pidStart: number, audit: number, bootId: number, at: Micros, id: readonly number[],
  ): void {
    let logout = Number.NaN;
    let pty = -1;
    const early = this.early;
    if (early !== null && early.waiting > 0) {
      const k = early.ids.findWords(id);
      if (k >= 0 && !Number.isNaN(early.at.get(k))) {
        logout = early.at.get(k);
        pty = early.ptys.get(k);
        const ptyAt = early.ptyAt.get(k);
        if (ptyAt !== undefined) this.ptyAt.set(this.loginAt.length, ptyAt);
        early.at.set(k, Number.NaN);
        early.waiting--;
      }
    }
    this.hosts.push(host);
    this.users.push(user);
    this.uids.push(uid);
    this.ttys.push(tty);
    this.ptys.push(pty);
    this.rhosts.push(rhost);
    this.services.push(service);
    this.pids.push(pid);
    this.pidStarts.push(pidStart);
    this.audits.push(audit);
    this.bootIds.push(bootId);
    this.loginAt.push(at);
    this.logoutAt.push(logout);
  }

  private addClose(record: SessionCloseRecord, at: Micros): void {
    if (record.session_id === null) {
      this.addSystem(record.event_id, { at, host: record.host, unnamed: { at, id: record.event_id, key: pairingKey(record), pty: record.pty ?? null } });
      return;
    }
    const w = uuidWords(record.session_id);
    const i = this.ids.findWords(w);
    if (i < 0) this.earlyClose(w, at, this.strings.id(record.pty ?? null));
    else this.closeAt(i, at, this.strings.id(record.pty ?? null));
  }

  /** A close before its open (the id's words; its pty as a string id, -1: none): kept by id until the open comes. */
  private earlyClose(w: readonly number[], at: Micros, pty: number): void {
    const early = (this.early ??= { ids: new UuidTable(), at: float64(), ptys: int32(), ptyAt: new Map(), waiting: 0 });
    const k = early.ids.findWords(w);
    if (k < 0) {
      early.ids.addWords(w);
      early.at.push(at);
      early.ptys.push(pty);
      early.waiting++;
      return;
    }
    this.duplicates++;
    const first = early.at.get(k);
    this.ptyOf(early.ptys, early.ptyAt, k, first, at, pty);
    if (at < first) early.at.set(k, at);
  }

  /** The close of session `i`, with its pty as a string id (-1: none). */
  private closeAt(i: number, at: Micros, pty: number): void {
    const current = this.logoutAt.get(i);
    if (Number.isNaN(current)) {
      if (pty >= 0) this.ptys.set(i, pty);
      this.logoutAt.set(i, at);
      return;
    }
    this.duplicates++;
    this.ptyOf(this.ptys, this.ptyAt, i, current, at, pty);
    // The earliest close wins (a duplicate or a later one changes nothing).
    if (at < current) this.logoutAt.set(i, at);
  }

  /**
   * Session `i`'s pty, given one more close of it (at `at`, naming `pty`; -1: none) after others,
   * the earliest of them at `earliest`: the pty of the earliest close that names one, of two at one
   * instant the lesser. So the answer does not depend on the order the closes are read in (files
   * merged in any order, the fleet store's rows). `ptyAt` keeps when the close was that named the
   * pty once a session has more than one; until then, it is the only close's time.
   */
  private ptyOf(ptys: Column<Int32Array>, ptyAt: Map<number, Micros>, i: number, earliest: Micros, at: Micros, pty: number): void {
    const known = ptys.get(i);
    const knownAt = known < 0 ? Infinity : (ptyAt.get(i) ?? earliest);
    if (known >= 0) ptyAt.set(i, knownAt);
    if (pty < 0) return;
    if (at < knownAt || (at === knownAt && compare(this.strings.value(pty) as string, this.strings.value(known) as string) < 0)) {
      ptys.set(i, pty);
      ptyAt.set(i, at);
    }
  }

  private text(column: Column<Int32Array>, i: number): string {
    return this.strings.value(column.get(i)) as string;
  }

  /** Pairs closes with a null id: each with the latest earlier open of the same process that has no close. */
  private pairUnnamed(): number {
    if (this.unnamed.length === 0) return 0;
    const wanted = new Set(this.unnamed.map((c) => c.key));
    const candidates = new Map<string, number[]>();
    for (let i = 0; i < this.loginAt.length; i++) {
      const key = pairingKey({
        host: this.text(this.hosts, i), pid: this.pids.get(i), pid_start: this.pidStarts.get(i),
        service: this.text(this.services, i), user: this.text(this.users, i), tty: this.strings.value(this.ttys.get(i)),
      });
      if (!wanted.has(key)) continue;
      const list = candidates.get(key) ?? [];
      list.push(i);
      candidates.set(key, list);
    }
    for (const list of candidates.values()) {
      list.sort((a, b) => this.loginAt.get(a) - this.loginAt.get(b) || compare(this.ids.uuidAt(a), this.ids.uuidAt(b)));
    }
    let unmatched = 0;
    const closes = [...this.unnamed].sort((a, b) => a.at - b.at || compare(a.id, b.id));
    for (const close of closes) {
      let match = -1;
      for (const i of candidates.get(close.key) ?? []) {
        if (this.loginAt.get(i) > close.at) break;
        if (Number.isNaN(this.logoutAt.get(i))) match = i;
      }
      if (match >= 0) {
        this.logoutAt.set(match, close.at);
        if (close.pty !== null && this.ptys.get(match) < 0) this.ptys.set(match, this.strings.id(close.pty));
      } else unmatched++;
    }
    return unmatched;
  }

  /** Decides every session's end; call once, after the last add(). */
  finish(alive: Liveness = () => null): ReconciledSessions {
    for (const entry of this.system.values()) {
      if ('boot' in entry) this.historyOf(entry.host).boots.push(entry.boot);
      else if ('shutdown' in entry) this.historyOf(entry.host).shutdowns.push(entry.shutdown);
      else this.unnamed.push(entry.unnamed);
    }
    this.system.clear();
    const closesWithoutOpen = (this.early?.waiting ?? 0) + this.pairUnnamed();
    // By service, decided once for each (a whole history asks for every session).
    const kinds = new Map<number, SessionKind>();
    const kindOf = (i: number): SessionKind => {
      const service = this.services.get(i);
      let kind = kinds.get(service);
      if (kind === undefined) kinds.set(service, (kind = this.switchServices.has(this.strings.value(service) as string) ? 'switch' : 'login'));
      return kind;
    };
    for (const h of this.history.values()) {
      h.boots.sort((a, b) => a.at - b.at || compare(a.id, b.id));
      h.shutdowns.sort((a, b) => a.at - b.at || compare(a.id, b.id));
    }
    const n = this.loginAt.length;
    const ends = new Int8Array(n); // End codes
    // End times go into the logout column itself (no second column of a million entries), which
    // is why finish() runs once.
    const endAt = this.logoutAt;
    for (let i = 0; i < n; i++) {
      const logout = endAt.get(i);
      if (!Number.isNaN(logout)) {
        ends[i] = End.logout;
        continue;
      }
      const opened = this.loginAt.get(i);
      const bootId = this.text(this.bootIds, i);
      const h = this.history.get(this.text(this.hosts, i));
      const nextBoot = h?.boots.find((b) => b.at > opened && b.bootId !== bootId);
      const shutdown = h?.shutdowns.find((s) => s.at >= opened && (nextBoot === undefined || s.at <= nextBoot.at));
      if (shutdown) {
        ends[i] = End.down;
        endAt.set(i, shutdown.at);
      } else if (nextBoot) {
        // The kernel's boot time, not the boot record's: the session ended before the host came back.
        ends[i] = End.crash;
        endAt.set(i, parseTimestamp(nextBoot.bootTime) ?? nextBoot.at);
      } else {
        const audit = this.audits.get(i);
        const runs = alive({
          host: this.text(this.hosts, i), boot_id: bootId, pid: this.pids.get(i), pid_start: this.pidStarts.get(i),
          audit_session: audit === noAuditSession ? null : audit,
        });
        ends[i] = runs === false ? End.gone : End.open;
      }
    }
    // Ties broken by fields, not input order: the answer must not depend on how inputs were merged.
    const order = Int32Array.from({ length: n }, (_, i) => i).sort(
      (a, b) =>
        this.loginAt.get(a) - this.loginAt.get(b) ||
        compare(this.text(this.hosts, a), this.text(this.hosts, b)) ||
        compare(this.ids.uuidAt(a), this.ids.uuidAt(b)),
    );
    const system: SystemEvent[] = [];
    for (const [host, h] of this.history) {
      for (const b of h.boots) system.push({ event: 'boot', host, boot_id: b.bootId, ts: b.ts, kernel: b.kernel, boot_time: b.bootTime });
      for (const s of h.shutdowns) system.push({ event: 'shutdown', host, boot_id: s.bootId, ts: s.ts, kernel: null, boot_time: null });
    }
    system.sort((a, b) => (parseTimestamp(a.ts) ?? 0) - (parseTimestamp(b.ts) ?? 0) || compare(a.host, b.host) || compare(a.event, b.event));

    const session = (i: number): Session => {
      const login = this.loginAt.get(i);
      const stop = endAt.get(i);
      const ended = !Number.isNaN(stop);
      const uid = this.uids.get(i);
      const audit = this.audits.get(i);
      return {
        session_id: this.ids.uuidAt(i),
        host: this.text(this.hosts, i),
        user: this.text(this.users, i),
        uid: uid === noUid ? null : uid,
        tty: this.strings.value(this.ttys.get(i)),
        pty: this.strings.value(this.ptys.get(i)),
        rhost: this.strings.value(this.rhosts.get(i)),
        service: this.text(this.services, i),
        kind: kindOf(i),
        pid: this.pids.get(i),
        pid_start: this.pidStarts.get(i),
        audit_session: audit === noAuditSession ? null : audit,
        boot_id: this.text(this.bootIds, i),
        login_time: formatTimestamp(login),
        logout_time: ended ? formatTimestamp(stop) : null,
        duration_s: ended ? Math.max(0, durationSeconds(login, stop)) : null,
        end: endName(ends[i]),
      };
    };
    const ids = this.ids;
    const strings = this.strings;
    const sessionJsonInto = (i: number, out: JsonBytes): void => {
      const host = this.hosts.get(i);
      const user = this.users.get(i);
      const tty = this.ttys.get(i);
      const pty = this.ptys.get(i);
      const rhost = this.rhosts.get(i);
      const service = this.services.get(i);
      out.reserve(sessionJsonRoom + strings.jsonRoom(host) + strings.jsonRoom(user) + strings.jsonRoom(tty) + strings.jsonRoom(pty) + strings.jsonRoom(rhost) + strings.jsonRoom(service));
      const login = this.loginAt.get(i);
      const stop = endAt.get(i);
      const uid = this.uids.get(i);
      const pid = this.pids.get(i);
      const end = endName(ends[i]);
      out.raw(keys.sessionId);
      out.hex(ids.wordAt(i, 0), 8);
      out.raw(keys.dash);
      const w1 = ids.wordAt(i, 1);
      out.hex(w1 >>> 16, 4);
      out.raw(keys.dash);
      out.hex(w1 & 0xffff, 4);
      out.raw(keys.dash);
      const w2 = ids.wordAt(i, 2);
      out.hex(w2 >>> 16, 4);
      out.raw(keys.dash);
      out.hex(w2 & 0xffff, 4);
      out.hex(ids.wordAt(i, 3), 8);
      out.raw(keys.host);
      strings.jsonInto(host, out);
      out.raw(keys.user);
      strings.jsonInto(user, out);
      out.raw(keys.uid);
      if (uid === noUid) out.raw(nullBytes);
      else out.integer(uid);
      out.raw(keys.tty);
      strings.jsonInto(tty, out);
      out.raw(keys.pty);
      strings.jsonInto(pty, out);
      out.raw(keys.rhost);
      strings.jsonInto(rhost, out);
      out.raw(keys.service);
      strings.jsonInto(service, out);
      out.raw(kindOf(i) === 'login' ? keys.kindLogin : keys.kindSwitch);
      if (Number.isInteger(pid) && pid >= 0) out.integer(pid);
      else out.ascii(JSON.stringify(pid));
      out.raw(keys.loginTime);
      out.timestamp(login);
      if (Number.isNaN(stop)) out.raw(keys.noLogout);
      else {
        out.raw(keys.logoutTime);
        out.timestamp(stop);
        out.raw(keys.duration);
        out.seconds(Math.max(0, stop - login));
      }
      out.raw(end === null ? keys.noEnd : (keys.ends[end] as Uint8Array));
    };
    const brief = (i: number): SessionBrief => {
      const stop = endAt.get(i);
      const pty = this.ptys.get(i);
      return {
        host: this.text(this.hosts, i), user: this.text(this.users, i), terminal: this.strings.value(pty >= 0 ? pty : this.ttys.get(i)),
        rhost: this.strings.value(this.rhosts.get(i)), end: endName(ends[i]), endAt: Number.isNaN(stop) ? null : stop,
      };
    };
    const period = (since: Micros, until: Micros, loginsOnly: boolean): PeriodSessions => {
      const kept = new Int32Array(n);
      let count = 0;
      for (let k = 0; k < n; k++) {
        const i = order[k] as number;
        const stop = endAt.get(i);
        if (stop < since || this.loginAt.get(i) > until) continue;
        if (!loginsOnly || kindOf(i) === 'login') kept[count++] = i;
      }
      const out: PeriodSessions = {
        count, loginAt: new Float64Array(count), endAt: new Float64Array(count), end: new Uint8Array(count),
        user: new Int32Array(count), host: new Int32Array(count), userNames: [], hostNames: [],
      };
      // Small numbers for the texts (a text may have more than one id in the interning table).
      const numbering = (names: string[]) => {
        const byId = new Map<number, number>();
        const byName = new Map<string, number>();
        return (id: number): number => {
          let k = byId.get(id);
          if (k === undefined) {
            const name = this.strings.value(id) as string;
            k = byName.get(name);
            if (k === undefined) byName.set(name, (k = names.push(name) - 1));
            byId.set(id, k);
          }
          return k;
        };
      };
      const userNumber = numbering(out.userNames);
      const hostNumber = numbering(out.hostNames);
      for (let k = 0; k < count; k++) {
        const i = kept[k] as number;
        out.loginAt[k] = this.loginAt.get(i);
        out.endAt[k] = endAt.get(i);
        out.end[k] = ends[i] as number;
        out.user[k] = userNumber(this.users.get(i));
        out.host[k] = hostNumber(this.hosts.get(i));
      }
      return out;
    };
    return {
      count: n,
      order,
      period,
      sessionJsonInto,
      brief,
      loginAt: (i) => this.loginAt.get(i),
      endAt: (i) => {
        const stop = endAt.get(i);
        return Number.isNaN(stop) ? null : stop;
      },
      hostOf: (i) => this.text(this.hosts, i),
      userOf: (i) => this.text(this.users, i),
      endOf: (i) => endName(ends[i]),
      kindOf,
      session,
      system,
      counts: { duplicates: this.duplicates, closesWithoutOpen },
    };
  }
}

/** What a history line shows of a session: its terminal is the pty when one is known, else its tty. */
export interface SessionBrief {
  host: string;
  user: string;
  terminal: string | null;
  rhost: string | null;
  end: Session['end'];
  /** When it ended (the close, the shutdown, the kernel's next boot); null while open and for `gone`. */
  endAt: Micros | null;
}

/** The brief of a session object. */
export function briefOf(s: Session): SessionBrief {
  return { host: s.host, user: s.user, terminal: s.pty ?? s.tty, rhost: s.rhost, end: s.end, endAt: s.logout_time === null ? null : parseTimestamp(s.logout_time) };
}

/** Sessions without materialising them all: `order` lists indexes by login time. */
/**
 * The sessions of a period (ReconciledSessions.period), in login order, in columns: what a report
 * counts of each, without a session object.
 */
export interface PeriodSessions {
  count: number;
  loginAt: Float64Array;
  /** When it ended (the close, the shutdown, the kernel's next boot); NaN while open and for `gone`. */
  endAt: Float64Array;
  /** How it ended: an index into endNames (End). */
  end: Uint8Array;
  /** The user and the host as numbers into userNames and hostNames (one number per text). */
  user: Int32Array;
  host: Int32Array;
  userNames: string[];
  hostNames: string[];
}

export interface ReconciledSessions {
  count: number;
  /** Session indexes by login time. */
  order: Int32Array;
  loginAt(index: number): Micros;
  /** When it ended (the close, the shutdown, the kernel's next boot); null while open and for `gone`. */
  endAt(index: number): Micros | null;
  hostOf(index: number): string;
  userOf(index: number): string;
  endOf(index: number): Session['end'];
  kindOf(index: number): SessionKind;
  /** The sessions that may overlap [since, until]: none that ended before it or began after it; `loginsOnly`: not user switches. */
  period(since: Micros, until: Micros, loginsOnly: boolean): PeriodSessions;
  session(index: number): Session;
  /** Writes the session as JSON, the same as jsonText(sessionJson(session(index))), without the object or the string. */
  sessionJsonInto(index: number, out: JsonBytes): void;
  /** What a line of `last` shows of the session, without the whole object. */
  brief(index: number): SessionBrief;
  system: SystemEvent[];
  counts: Reconciled['counts'];
}

export function reconcile(records: Iterable<LogRecord>, alive: Liveness = () => null, options: ReconcileOptions = {}): Reconciled {
  const reconciler = new Reconciler(options);
  for (const record of records) reconciler.add(record);
  const result = reconciler.finish(alive);
  return { sessions: Array.from(result.order, (i) => result.session(i)), system: result.system, counts: result.counts };
}
