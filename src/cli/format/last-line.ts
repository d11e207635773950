// The lines of util-linux last (and lastb): its columns and their widths for each time format,
// the remote host before the times, last (-a) or left out (-R), addresses with -i, the length
// column, the words for sessions and boots still open, and the closing "… begins" lines.

import type { SystemLine } from '../../queries/history.ts';
import type { Beginning } from '../../queries/named-inputs.ts';
import type { SessionBrief } from '../../reconcile/reconcile.ts';
import type { Micros } from '../../record/time.ts';
import { cell, escapeText, pad } from '../../text/terminal.ts';
import { clockTime, fullTime, isoTime, shortTime } from './time.ts';

export type TimeFormat = 'notime' | 'short' | 'full' | 'iso';

/** How the lines are laid out: last's and lastb's options. */
export interface LastLayout {
  timeFormat: TimeFormat;
  /** Where the remote host goes: before the times (default), last (-a), nowhere (-R). */
  hostColumn: 'before' | 'last' | 'none';
  /** The remote host as an address, 0.0.0.0 where there is none (-i). */
  ip: boolean;
  /** Nothing cut (-w). */
  wide: boolean;
}

/** The columns of util-linux last for each time format: login and logout widths and how they are written. */
export const timeColumns: Record<TimeFormat, { login: number; logout: number; start: (t: Micros) => string; stop: (t: Micros) => string }> = {
  notime: { login: 0, logout: 0, start: () => '', stop: () => '' },
  short: { login: 16, logout: 7, start: shortTime, stop: clockTime },
  full: { login: 24, logout: 26, start: fullTime, stop: fullTime },
  iso: { login: 25, logout: 27, start: isoTime, stop: isoTime },
};

/** Exactly `width` characters: cut or padded (printf's %-W.Ws). */
const fit = (text: string, width: number) => pad([...text].slice(0, width).join(''), width);

/** The fields of one line, as util-linux last has them. */
export interface Row {
  /** The host the line comes from: a first column when the lines come from several hosts. */
  machine: string;
  user: string;
  tty: string;
  /** The remote host (sessions) or the kernel (boots and shutdowns). */
  host: string;
  login: Micros;
  logout: string;
  length: string;
}

/** The widths of the host columns: the host a line comes from (0: none) and the remote host. */
export interface HostWidths {
  machine: number;
  remote: number;
}

/** util-linux's layout, for the lines of one host. */
export const oneHost: HostWidths = { machine: 0, remote: 16 };

/**
 * The host columns when the lines come from several hosts (util-linux has no such column): both
 * 16 wide, less when that is what it takes for a line to fit `width` — the first column as far as
 * 8, then the remote host as far as 12. Longer lengths (`(10+01:30)`) may still go past.
 */
export function hostWidths(options: LastLayout, width: number): HostWidths {
  const t = timeColumns[options.timeFormat];
  const remote = options.hostColumn === 'before' ? 17 : options.hostColumn === 'last' ? 14 + 16 : 0;
  // The first column, then user, tty, the remote host, the times and the length (`logged in`, `(10+01:30)`).
  const excess = 17 + 8 + 1 + 12 + remote + 1 + t.login + 1 + t.logout + (options.hostColumn === 'last' ? 0 : 11) - width;
  const machine = Math.max(8, 16 - Math.max(0, excess));
  return { machine, remote: options.hostColumn === 'before' ? Math.max(12, 16 - Math.max(0, excess - (16 - machine))) : 16 };
}

/** A line of util-linux last: user, tty, host (or at the end, or none), login, logout, length. */
export function rowText(r: Row, options: LastLayout, widths: HostWidths = oneHost): string {
  const w = options.wide;
  const t = timeColumns[options.timeFormat];
  const { machine, remote } = widths;
  const head = `${machine > 0 ? `${pad(cell(r.machine, machine, w), machine)} ` : ''}${pad(cell(r.user, 8, w), 8)} ${pad(cell(r.tty, 12, w), 12)}`;
  const times = `${fit(t.start(r.login), t.login)} ${fit(r.logout, t.logout)}`;
  let line: string;
  if (options.hostColumn === 'before') line = `${head} ${pad(cell(r.host, remote, w), remote)} ${times} ${r.length}`;
  else if (options.hostColumn === 'last') line = `${head} ${times} ${fit(r.length, 12)} ${escapeText(r.host)}`;
  else line = `${head} ${times} ${r.length}`;
  return `${line.trimEnd()}\n`;
}

/** util-linux last's length column: ` (HH:MM)`, `(D+HH:MM)`, from whole seconds. */
export function lengthOf(from: Micros, to: Micros): string {
  const secs = Math.floor(to / 1e6) - Math.floor(from / 1e6);
  const mins = Math.trunc(secs / 60) % 60;
  const hours = Math.trunc(secs / 3600) % 24;
  const days = Math.trunc(secs / 86_400);
  const two = (n: number) => String(n).padStart(2, '0');
  if (days !== 0) return `(${days}+${two(Math.abs(hours))}:${two(Math.abs(mins))})`;
  if (hours !== 0) return ` (${two(hours)}:${two(Math.abs(mins))})`;
  return secs >= 0 ? ` (${two(hours)}:${two(mins)})` : ` (-00:${two(Math.abs(mins))})`;
}

/** "still logged in", "still running", "gone - no logout": split over logout and length as util-linux does per format. */
function openEnd(format: TimeFormat, long: string, first: string, second: string): [string, string] {
  return format === 'full' || format === 'iso' ? [long, ''] : [first, second];
}

export function sessionRow(s: SessionBrief, at: Micros, options: LastLayout, now: Micros): Row {
  const format = options.timeFormat;
  const host = options.ip ? (s.rhost ?? '0.0.0.0') : (s.rhost ?? '');
  const tty = s.terminal ?? '-';
  const end = s.endAt ?? now;
  let logout = `- ${timeColumns[format].stop(end)}`;
  let length = lengthOf(at, end);
  switch (s.end) {
    case null:
      [logout, length] = openEnd(format, '  still logged in', '  still', 'logged in');
      break;
    case 'gone':
      [logout, length] = format === 'notime' ? ['', 'no logout'] : openEnd(format, '  gone - no logout', '   gone', '- no logout');
      break;
    case 'down':
      logout = '- down ';
      break;
    case 'crash':
      logout = '- crash';
      break;
    case 'logout':
      break;
  }
  return { machine: s.host, user: s.user, tty, host, login: at, logout, length };
}

export function systemRow(l: SystemLine, options: LastLayout): Row {
  const format = options.timeFormat;
  const boot = l.system.event === 'boot';
  const host = options.ip ? '0.0.0.0' : (l.kernel ?? '');
  let logout: string;
  let length: string;
  if (l.end === null) [logout, length] = openEnd(format, boot ? '  still running' : '  still down', '  still', boot ? 'running' : 'down');
  else {
    logout = l.end.by === 'crash' ? '- crash' : `- ${timeColumns[format].stop(l.end.at)}`;
    length = lengthOf(l.at, l.end.at);
  }
  return { machine: l.system.host, user: boot ? 'reboot' : 'shutdown', tty: boot ? 'system boot' : 'system down', host, login: l.at, logout, length };
}

/** util-linux's closing lines, one per input: `\nwtmp begins Wed May  1 08:00:00 2024`; none with notime. */
export function beginsText(beginnings: readonly Beginning[], format: TimeFormat): string {
  if (format === 'notime' || beginnings.length === 0) return '';
  const when = format === 'iso' ? isoTime : fullTime;
  return `\n${beginnings.map((b) => `${escapeText(b.name)} begins ${when(b.at)}\n`).join('')}`;
}
