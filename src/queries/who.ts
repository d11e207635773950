// Who is logged in now, as coreutils who answers: the sessions open now (current-sessions.ts),
// for those of this host the state of their terminal (idle time, messages allowed), and each
// host's last boot.

import type { Config } from '../config/config.ts';
import { forEachRecord, InputError, readWarnings, type ReadResult } from '../input/inputs.ts';
import { parseTimestamp, type Micros } from '../record/time.ts';
import { bootTimeSeconds } from '../sys/host.ts';
import { terminalState, type TerminalState } from '../sys/terminal-state.ts';
import { currentSessions, type CurrentSession } from './current-sessions.ts';
import { terminalOf } from './history.ts';
import { localHost, withDefaultNamed } from './load-sessions.ts';

export interface WhoRequest {
  /** Files or directories to read; empty: the log directory. */
  inputs: readonly string[];
  user: string | null;
  host: string | null;
  /** Also each host's last boot (who -b). */
  boots: boolean;
}

export interface WhoEntry {
  session: CurrentSession;
  /** The terminal the session is known by (its pty when recorded), as who's LINE. */
  line: string | null;
  /** Its device's state; null when it cannot be read (another host, no such device). */
  terminal: TerminalState | null;
  /**
   * When the session's boot began, where it is this host's current boot (the kernel's boot
   * time): a terminal read before it has not been idle since (who's ` old `).
   */
  bootedAt: Micros | null;
}

export interface Who {
  entries: WhoEntry[];
  /** The last boot of each host, oldest first (with `boots`). */
  boots: Array<{ host: string; at: Micros }>;
  warnings: string[];
  incomplete: boolean;
}

export function whoIsOn(request: WhoRequest, config: Config, env: Readonly<Record<string, string | undefined>>): Who {
  const local = localHost(config);
  const current = currentSessions({ inputs: request.inputs, user: request.user, host: request.host, includeGone: false, all: false }, config, env);
  let bootedAt: Micros | null = null;
  try {
    bootedAt = bootTimeSeconds() * 1e6;
  } catch {
    // no /proc: idle times are not bounded by the boot
  }
  const entries = current.sessions.map((session) => {
    const line = terminalOf(session);
    const here = session.host === local.host;
    // A device of this host, whatever boot the record is from: who stats the line utmp names.
    return { session, line, terminal: line !== null && here ? terminalState(line) : null, bootedAt: here && session.boot_id === local.bootId ? bootedAt : null };
  });
  const warnings = [...current.warnings];
  let incomplete = current.incomplete;
  const boots: Who['boots'] = [];
  if (request.boots) {
    const latest = new Map<string, Micros>();
    const readBoots = () =>
      withDefaultNamed(config, () =>
        forEachRecord(request.inputs.length > 0 ? request.inputs : [config.logDir], (r) => {
          if (r.event !== 'boot' || (request.host !== null && r.host !== request.host)) return;
          const at = parseTimestamp(r.boot_time) ?? parseTimestamp(r.ts);
          if (at !== null && at > (latest.get(r.host) ?? -Infinity)) latest.set(r.host, at);
        }),
      );
    let read: ReadResult = { malformed: [], damaged: [], skipped: [] };
    try {
      read = readBoots();
    } catch (error) {
      // A user outside group adm, answered from the run directory: the kernel's boot is this host's.
      const denied = error instanceof InputError && (error.code === 'EACCES' || error.code === 'EPERM');
      if (!denied || request.inputs.length > 0) throw error;
    }
    // The log of this host without a boot record (no boot unit, or not readable): the kernel knows when it booted.
    if (request.inputs.length === 0 && !latest.has(local.host) && bootedAt !== null && (request.host === null || request.host === local.host)) {
      latest.set(local.host, bootedAt);
    }
    boots.push(...[...latest].map(([host, at]) => ({ host, at })).sort((a, b) => a.at - b.at));
    warnings.push(...readWarnings(read).filter((w) => !warnings.includes(w)));
    incomplete ||= read.damaged.length > 0;
  }
  return { entries, boots, warnings, incomplete };
}
