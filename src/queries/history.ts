// The history: sessions, boots and shutdowns newest first, as util-linux `last` lists them:
// filtered by their own time (since, until), by the instant they spanned (present), by user, tty
// or `reboot` as last's names are, and by host. A boot line knows how long the system ran (to its
// shutdown, to the next boot after a crash, or still running), a shutdown line how long it was
// down (to the next boot) and the kernel it shut down. Each input says where its records begin.

import { statSync } from 'node:fs';
import type { Config } from '../config/config.ts';
import { readNewestFirst } from '../input/newest-first.ts';
import { briefOf, type SessionBrief } from '../reconcile/reconcile.ts';
import { defaultSwitchServices, type Session, type SystemEvent } from '../reconcile/types.ts';
import { parseTimestamp, type Micros } from '../record/time.ts';
import type { LogRecord } from '../record/types.ts';
import type { JsonBytes } from '../record/json-bytes.ts';
import { jsonText } from '../record/json-text.ts';
import { liveTerminals } from './live-terminal.ts';
import { sessionJson } from './session-json.ts';
import { loadRecent, loadWhole } from './load-recent.ts';
import { loadReconciled, localHost, localLiveness, type Loaded, type RecordReader } from './load-sessions.ts';
import type { Liveness } from '../reconcile/types.ts';
import { beginningName, changeTime, namedInputs, type Beginning } from './named-inputs.ts';
import { sourceLiveness, type RecordSource } from './record-source.ts';
import type { Progress } from '../text/progress.ts';

export interface HistoryRequest {
  /** Files or directories to read, or utmp-format files (wtmp); empty: the log directory. */
  inputs: readonly string[];
  /** Lines at or after this instant: sessions that began then or later, boots and shutdowns then or later. */
  since: Micros | null;
  /** Lines at or before this instant. */
  until: Micros | null;
  /** Only what was under way at this instant: logged in, or the system up (boots) or down (shutdowns). */
  present: Micros | null;
  user: string | null;
  host: string | null;
  /**
   * util-linux last's names, any of which a line matches: a user, a tty (`pts/3`; `1` for `tty1`),
   * or `reboot` and `shutdown` for the boot and shutdown lines. Empty: every line.
   */
  names: readonly string[];
  /** List the boots (`reboot` lines); never with `user`. */
  boots: boolean;
  /** List the shutdowns; never with `user`. */
  shutdowns: boolean;
  /** Also user switches (su, sudo, ...), not only logins. */
  all: boolean;
  /** At most this many lines are wanted (the newest): the log is then read only as far as they need. */
  limit: number | null;
  /** Records from elsewhere than files (the fleet store), instead of `inputs`. */
  source?: RecordSource;
  /** Progress of a whole read of the logs (text/progress.ts). */
  progress?: Progress;
}

/** How a boot or a shutdown line ends: the boot's shutdown, the next boot after a crash, or (for a shutdown) the next boot. */
export interface SystemEnd {
  by: 'shutdown' | 'crash' | 'boot';
  at: Micros;
}

export interface SystemLine {
  /** The boot's `boot_time` (the kernel's start), or the shutdown's time. */
  at: Micros;
  system: SystemEvent;
  /** The kernel that booted, or for a shutdown the kernel of the boot it ended (null when unknown). */
  kernel: string | null;
  /** null: still running (a boot), still down (a shutdown), as far as the records go. */
  end: SystemEnd | null;
}

/** A session's line: the session, and its JSON text (sessionJson's), written without it where it can be. */
export interface SessionLine {
  at: Micros;
  readonly session: Session;
  jsonInto(out: JsonBytes): void;
  /** What a text line shows of it (briefOf(session)), made without the session where it can be. */
  brief(): SessionBrief;
}

export type HistoryLine = SessionLine | SystemLine;

export interface History {
  /** The lines newest first; each call walks them again, without a copy of the history. */
  lines: () => Generator<HistoryLine>;
  warnings: string[];
  /** An input was read only up to its damage (named in `warnings`): the history lacks the rest. */
  incomplete: boolean;
  /** Where each input's records begin (util-linux: `wtmp begins …`), in the order read. */
  beginnings: Beginning[];
}

/** The terminal a session is known by: the pty it had when one is recorded, else its PAM tty. */
export function terminalOf(s: Session): string | null {
  return s.pty ?? s.tty;
}

/** util-linux last's match of a name against a line's user and tty (`1` stands for `tty1`). */
export function matchesName(names: readonly string[], user: string, tty: string | null): boolean {
  if (names.length === 0) return true;
  return names.some((n) => n === user || (tty !== null && (n === tty || (tty.startsWith('tty') && tty.slice(3) === n))));
}

/** The boot and shutdown lines with their ends and kernels, oldest first. */
export function systemLines(events: readonly SystemEvent[]): SystemLine[] {
  const byHost = new Map<string, SystemEvent[]>();
  for (const e of events) {
    const list = byHost.get(e.host) ?? [];
    list.push(e);
    byHost.set(e.host, list);
  }
  const lines = new Map<SystemEvent, SystemLine>();
  const atOf = (e: SystemEvent) => parseTimestamp((e.event === 'boot' ? e.boot_time : null) ?? e.ts) ?? 0;
  for (const list of byHost.values()) {
    // In time order (the reconciler sorts them so). Forward: the kernel each shutdown ended.
    const kernels = new Map<string, string>();
    let lastKernel: string | null = null;
    const kernelOf = list.map((e) => {
      if (e.event === 'shutdown') return kernels.get(e.boot_id) ?? lastKernel;
      if (e.kernel !== null) kernels.set(e.boot_id, (lastKernel = e.kernel));
      return e.kernel;
    });
    // Backward: the next boot, and the first shutdown before it.
    let nextBoot: Micros | null = null;
    let shutdown: Micros | null = null;
    for (let i = list.length - 1; i >= 0; i--) {
      const e = list[i] as SystemEvent;
      const at = atOf(e);
      let end: SystemEnd | null;
      if (e.event === 'boot') {
        end = shutdown !== null ? { by: 'shutdown', at: shutdown } : nextBoot !== null ? { by: 'crash', at: nextBoot } : null;
        nextBoot = at;
        shutdown = null;
      } else {
        end = nextBoot !== null ? { by: 'boot', at: nextBoot } : null;
        shutdown = at;
      }
      lines.set(e, { at, system: e, kernel: kernelOf[i] ?? null, end });
    }
  }
  // Events of one instant in the reconciler's order (sort is stable).
  return events.map((e) => lines.get(e) as SystemLine).sort((a, b) => a.at - b.at);
}

/**
 * A session's line by its index in the reconciled sessions: the session object is built only when
 * asked for; an open session may get its live pty, so its text and brief are made from the object.
 */
class IndexedLine implements SessionLine {
  private built: Session | null = null;

  constructor(
    readonly at: Micros,
    private readonly index: number,
    private readonly loaded: Loaded,
    private readonly live: (s: Session) => Session,
  ) {}

  get session(): Session {
    return (this.built ??= this.live(this.loaded.session(this.index)));
  }

  jsonInto(out: JsonBytes): void {
    if (this.loaded.endOf(this.index) === null) out.text(jsonText(sessionJson(this.session)));
    else this.loaded.sessionJsonInto(this.index, out);
  }

  brief(): SessionBrief {
    return this.loaded.endOf(this.index) === null ? briefOf(this.session) : this.loaded.brief(this.index);
  }
}

/** Whether every input is a directory (the default, the log directory, is): logs that can be read newest first. */
export function allDirectories(inputs: readonly string[]): boolean {
  return inputs.every((path) => {
    try {
      return path !== '-' && statSync(path).isDirectory();
    } catch {
      return false; // the full read reports it
    }
  });
}

/**
 * Counts the lines a history will certainly show among the records read so far, by each line's
 * time: how far newest-first reading must go for `limit` lines. A session counts by its open (its
 * user, host, service and time decide); names other than users, which may match a terminal known
 * only from the close, never count, so the count is never more than the lines shown. A shutdown
 * line is complete once the boot it ended has been read (its kernel comes from there).
 */
class LineCounter {
  private readonly seen = new Set<string>();
  private readonly times: Micros[] = [];
  private readonly shutdowns: Array<{ at: Micros; bootId: string }> = [];
  private readonly boots = new Set<string>();
  private readonly switches: ReadonlySet<string>;

  constructor(
    private readonly request: HistoryRequest,
    config: Config,
  ) {
    this.switches = new Set(config.switchServices ?? defaultSwitchServices);
  }

  private inRange(at: Micros): boolean {
    const r = this.request;
    return (r.since === null || at >= r.since) && (r.until === null || at <= r.until);
  }

  add(record: LogRecord): void {
    const r = this.request;
    if (record.event === 'boot') this.boots.add(record.boot_id);
    if (r.host !== null && record.host !== r.host) return;
    if (record.event === 'session_open') {
      if (!r.all && this.switches.has(record.service)) return;
      if ((r.user !== null && record.user !== r.user) || (r.names.length > 0 && !r.names.includes(record.user))) return;
      const at = parseTimestamp(record.ts) ?? 0;
      if (!this.inRange(at) || this.seen.has(record.session_id)) return;
      this.seen.add(record.session_id);
      this.times.push(at);
      return;
    }
    if (r.user !== null || (record.event !== 'boot' && record.event !== 'shutdown')) return;
    if (!(record.event === 'boot' ? r.boots : r.shutdowns) || !matchesName(r.names, record.event === 'boot' ? 'reboot' : 'shutdown', null)) return;
    const at = parseTimestamp((record.event === 'boot' ? record.boot_time : null) ?? record.ts) ?? 0;
    if (!this.inRange(at) || this.seen.has(record.event_id)) return;
    this.seen.add(record.event_id);
    if (record.event === 'boot') this.times.push(at);
    else this.shutdowns.push({ at, bootId: record.boot_id });
  }

  /** Whether the lines after `cut` are complete: every line from `since` on, or `limit` lines. */
  complete(cut: Micros): boolean {
    const { since, limit } = this.request;
    let n = 0;
    for (const s of this.shutdowns) {
      if (s.at <= cut) continue;
      if (!this.boots.has(s.bootId)) return false;
      n++;
    }
    if (since !== null && cut < since) return true;
    if (limit === null) return false;
    for (const at of this.times) if (at > cut) n++;
    return n >= limit;
  }
}

/**
 * The reconciled records a history needs: with a limit or a start (and no `present`) over logs
 * that can be read newest first, only the newest part of them, up to the cut (lines at or before
 * it are left out); otherwise everything.
 */
function loadHistory(request: HistoryRequest, config: Config, now: Micros, alive: ReturnType<typeof localLiveness>, read: HistoryRead): { loaded: Loaded; cut: Micros | null; beginnings: Beginning[]; warnings: string[] } {
  if (request.source !== undefined) {
    const { source } = request;
    const loaded = loadReconciled([source.name], config, sourceLiveness(source, alive), undefined, source.read, source.cut === undefined);
    return { loaded, cut: source.cut ?? null, beginnings: [{ name: source.name, at: source.beginning ?? now }], warnings: [] };
  }
  const paths = request.inputs.length > 0 ? request.inputs : [config.logDir];
  const { since, limit } = request;
  const beginningsOf = (beginning: (path: string) => Micros | null) =>
    paths.map((path) => ({ name: beginningName(config, path), at: beginning(path) ?? changeTime(path === config.logDir ? [config.logFile, path] : [path], now) }));
  if (read === 'auto' && request.present === null && (limit !== null || since !== null) && allDirectories(paths)) {
    const counter = new LineCounter(request, config);
    const enough = (cut: Micros) => counter.complete(cut);
    const recent = loadRecent(paths, config, alive, (r) => counter.add(r), (onRecord) => readNewestFirst(paths, onRecord, { enough }));
    if (recent !== null) {
      return { loaded: recent.loaded, cut: recent.read.cut, beginnings: beginningsOf(recent.read.beginning), warnings: [] };
    }
  }
  if (read === 'auto' && allDirectories(paths)) {
    // Logs only: their rotated segments come from the segment index, in columns.
    const whole = loadWhole(paths, config, alive, request.progress);
    return { loaded: whole.loaded, cut: null, beginnings: beginningsOf(whole.beginning), warnings: [] };
  }
  const inputs = namedInputs(config, 'wtmp', localHost(config).host, now);
  const loaded = loadReconciled(request.inputs, config, alive, undefined, inputs.read);
  return { loaded, cut: null, beginnings: inputs.beginnings, warnings: inputs.warnings };
}

/** How a history reads its inputs: newest first where it can (`auto`), or always all of them (`whole`, the reference). */
export type HistoryRead = 'auto' | 'whole';

export function history(request: HistoryRequest, config: Config, now: Micros, read: HistoryRead = 'auto'): History {
  const local = localHost(config);
  const { loaded, cut, beginnings, warnings } = loadHistory(request, config, now, localLiveness(local), read);
  // Read newest first to a cut, the lines at or before it may lack records: they are left out.
  const inRange = (at: Micros) => (cut === null || at > cut) && (request.since === null || at >= request.since) && (request.until === null || at <= request.until);
  const present = request.present;
  const live = liveTerminals(local);
  // Under way at `present`: begun by then and not ended before. What has not ended yet runs up to
  // now, as util-linux last takes it: nothing is under way at a `present` still to come.
  const spans = (from: Micros, to: Micros | null) => present === null || (from <= present && (to ?? now) >= present);
  const system = request.user === null && (request.boots || request.shutdowns) ? systemLines(loaded.system) : [];
  const shown = (l: SystemLine) =>
    (l.system.event === 'boot' ? request.boots : request.shutdowns) &&
    (request.host === null || l.system.host === request.host) &&
    matchesName(request.names, l.system.event === 'boot' ? 'reboot' : 'shutdown', null) &&
    inRange(l.at) &&
    spans(l.at, l.end?.at ?? null);
  // Sessions (in login order) and system lines (in time order) are walked from their ends and
  // merged; among lines of one instant a system line comes first, then the later session in
  // reconciled order.
  function* lines(): Generator<HistoryLine> {
    let si = loaded.order.length - 1;
    let ei = system.length - 1;
    while (si >= 0 || ei >= 0) {
      const sessionAt = si >= 0 ? loaded.loginAt(loaded.order[si] as number) : -Infinity;
      const line = ei >= 0 ? (system[ei] as SystemLine) : null;
      if (line !== null && line.at >= sessionAt) {
        ei--;
        if (shown(line)) yield line;
        continue;
      }
      const i = loaded.order[si--] as number;
      if (!inRange(sessionAt)) continue;
      if (request.host !== null && loaded.hostOf(i) !== request.host) continue;
      if (!request.all && loaded.kindOf(i) === 'switch') continue;
      if (request.user !== null || request.names.length > 0 || present !== null) {
        const s = live(loaded.session(i));
        if (request.user !== null && s.user !== request.user) continue;
        if (!matchesName(request.names, s.user, terminalOf(s))) continue;
        if (!spans(sessionAt, s.logout_time === null ? null : parseTimestamp(s.logout_time))) continue;
        yield { at: sessionAt, session: s, jsonInto: (out) => out.text(jsonText(sessionJson(s))), brief: () => briefOf(s) };
        continue;
      }
      yield new IndexedLine(sessionAt, i, loaded, live);
    }
  }
  return {
    lines,
    warnings: [...warnings, ...loaded.warnings],
    incomplete: loaded.incomplete,
    beginnings,
  };
}
