// The rules `logsphere watch` evaluates: built-in defaults, and a JSON rules file checked rule by
// rule. A bad rule is reported with its position and name and left out; the good ones run.
//
//   { "rules": [ { "type": "failures_by_rhost", "threshold": 5, "window": "10m" }, … ] }

import { knownZone } from '../time/zoned-time.ts';

export type Severity = 'info' | 'notice' | 'warning' | 'critical';
const severities: readonly Severity[] = ['info', 'notice', 'warning', 'critical'];

export type RuleType = 'failures_by_rhost' | 'failures_by_user' | 'brute_force_success' | 'root_login' | 'outside_hours' | 'new_rhost';
const ruleTypes: readonly RuleType[] = ['failures_by_rhost', 'failures_by_user', 'brute_force_success', 'root_login', 'outside_hours', 'new_rhost'];

interface RuleBase {
  name: string;
  severity: Severity;
}

/** N failures from one remote host (or for one user) within a window, on one host. */
export interface ThresholdRule extends RuleBase {
  type: 'failures_by_rhost' | 'failures_by_user' | 'brute_force_success';
  threshold: number;
  /** Seconds. */
  window: number;
}

/** A login as root from a remote host (not one of `ignore_rhosts`). */
export interface RootLoginRule extends RuleBase {
  type: 'root_login';
  ignoreRhosts: string[];
}

/** A login outside the allowed hours (`from`–`to` minutes past midnight) and days of a zone. */
export interface HoursRule extends RuleBase {
  type: 'outside_hours';
  from: number;
  to: number;
  /** 0 = Sunday … 6 = Saturday. */
  days: number[];
  zone: string;
  /** Users the rule applies to; empty: everyone. */
  users: string[];
}

/** A user logging in from a remote host never seen for them before (after their first login). */
export interface NewRhostRule extends RuleBase {
  type: 'new_rhost';
}

export type Rule = ThresholdRule | RootLoginRule | HoursRule | NewRhostRule;

const dayNames = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];

/** The rules used when no rules file exists. */
export function defaultRules(zone: string): Rule[] {
  return [
    { name: 'failures_by_rhost', type: 'failures_by_rhost', severity: 'warning', threshold: 5, window: 600 },
    { name: 'failures_by_user', type: 'failures_by_user', severity: 'warning', threshold: 10, window: 600 },
    { name: 'brute_force_success', type: 'brute_force_success', severity: 'critical', threshold: 5, window: 3600 },
    { name: 'root_login', type: 'root_login', severity: 'warning', ignoreRhosts: [] },
    { name: 'outside_hours', type: 'outside_hours', severity: 'notice', from: 6 * 60, to: 22 * 60, days: [0, 1, 2, 3, 4, 5, 6], zone, users: [] },
    { name: 'new_rhost', type: 'new_rhost', severity: 'notice' },
  ];
}

export interface ParsedRules {
  rules: Rule[];
  /** One message per rule left out (or for the file as a whole). */
  errors: string[];
  /** Rules left out as invalid. */
  invalid: number;
}

/** `90s`, `10m`, `2h`, `1d`, or a number of seconds. */
export function parseWindow(value: unknown): number | null {
  if (typeof value === 'number') return Number.isInteger(value) && value > 0 ? value : null;
  if (typeof value !== 'string') return null;
  const m = /^(\d{1,7})(s|m|h|d)$/.exec(value);
  if (!m) return null;
  const n = Number(m[1]) * { s: 1, m: 60, h: 3600, d: 86400 }[m[2] as 's' | 'm' | 'h' | 'd'];
  return n > 0 ? n : null;
}

function parseClock(value: string): number | null {
  const m = /^(\d{2}):(\d{2})$/.exec(value);
  if (!m) return null;
  const [h, mi] = [Number(m[1]), Number(m[2])];
  return h <= 24 && mi < 60 && h * 60 + mi <= 1440 ? h * 60 + mi : null;
}

const isStringArray = (v: unknown): v is string[] => Array.isArray(v) && v.every((x) => typeof x === 'string');

const allowedKeys: Record<RuleType, readonly string[]> = {
  failures_by_rhost: ['threshold', 'window'],
  failures_by_user: ['threshold', 'window'],
  brute_force_success: ['threshold', 'window'],
  root_login: ['ignore_rhosts'],
  outside_hours: ['hours', 'days', 'timezone', 'users'],
  new_rhost: [],
};

/** Seconds as a rules file writes a window: "90s", "10m", "2h", "1d". */
function windowText(seconds: number): string {
  for (const [unit, size] of [['d', 86_400], ['h', 3600], ['m', 60]] as const) if (seconds % size === 0) return `${seconds / size}${unit}`;
  return `${seconds}s`;
}

const clockText = (minutes: number) => `${String(Math.floor(minutes / 60)).padStart(2, '0')}:${String(minutes % 60).padStart(2, '0')}`;

/** A rule as a rules file writes it, every setting spelled out (what `watch --check` prints). */
export function ruleAsWritten(rule: Rule): Record<string, unknown> {
  const base = { type: rule.type, name: rule.name, severity: rule.severity };
  switch (rule.type) {
    case 'failures_by_rhost':
    case 'failures_by_user':
    case 'brute_force_success':
      return { ...base, threshold: rule.threshold, window: windowText(rule.window) };
    case 'root_login':
      return { ...base, ignore_rhosts: rule.ignoreRhosts };
    case 'outside_hours':
      return { ...base, hours: `${clockText(rule.from)}-${clockText(rule.to)}`, days: rule.days.map((d) => dayNames[d]), timezone: rule.zone, users: rule.users };
    case 'new_rhost':
      return base;
  }
}

/** One rule of the file, or the reasons it is not one. */
function parseRule(value: unknown, zone: string): Rule | string[] {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return ['is not a JSON object'];
  const v = value as Record<string, unknown>;
  const problems: string[] = [];
  const type = v['type'];
  if (typeof type !== 'string' || !ruleTypes.includes(type as RuleType)) {
    return [`"type" must be one of ${ruleTypes.join(', ')} (got ${JSON.stringify(type ?? null)})`];
  }
  const t = type as RuleType;
  for (const key of Object.keys(v)) {
    if (!['type', 'name', 'severity', 'enabled', ...allowedKeys[t]].includes(key)) problems.push(`unknown key ${JSON.stringify(key)} for ${t}`);
  }
  const name = v['name'] ?? t;
  if (typeof name !== 'string' || !/^[A-Za-z0-9_.-]{1,64}$/.test(name)) problems.push('"name" must be 1-64 letters, digits, "_", "." or "-"');
  const severity = v['severity'] ?? defaultRules(zone).find((r) => r.type === t)?.severity;
  if (!severities.includes(severity as Severity)) problems.push(`"severity" must be one of ${severities.join(', ')}`);
  const base = { name: name as string, severity: severity as Severity };
  switch (t) {
    case 'failures_by_rhost':
    case 'failures_by_user':
    case 'brute_force_success': {
      const threshold = v['threshold'];
      if (!Number.isInteger(threshold) || (threshold as number) < 1 || (threshold as number) > 1_000_000) problems.push('"threshold" must be a whole number from 1 to 1000000');
      const window = parseWindow(v['window'] ?? '10m');
      if (window === null) problems.push('"window" must be a duration such as "90s", "10m", "2h", "1d" (or seconds)');
      return problems.length > 0 ? problems : { ...base, type: t, threshold: threshold as number, window: window as number };
    }
    case 'root_login': {
      const ignore = v['ignore_rhosts'] ?? [];
      if (!isStringArray(ignore)) problems.push('"ignore_rhosts" must be an array of strings');
      return problems.length > 0 ? problems : { ...base, type: t, ignoreRhosts: ignore as string[] };
    }
    case 'outside_hours': {
      const hours = v['hours'];
      const m = typeof hours === 'string' ? /^(\d{2}:\d{2})-(\d{2}:\d{2})$/.exec(hours) : null;
      const from = m ? parseClock(m[1] as string) : null;
      const to = m ? parseClock(m[2] as string) : null;
      if (from === null || to === null || from === to) problems.push('"hours" must be the allowed hours as "HH:MM-HH:MM", e.g. "07:00-19:00" (may wrap midnight)');
      const daysValue = v['days'] ?? dayNames;
      const days = isStringArray(daysValue) ? daysValue.map((d) => dayNames.indexOf(d.toLowerCase().slice(0, 3))) : null;
      if (days === null || days.length === 0 || days.includes(-1)) problems.push('"days" must be an array of day names such as ["mon", "tue"]');
      const ruleZone = v['timezone'] ?? zone;
      if (typeof ruleZone !== 'string' || !knownZone(ruleZone)) problems.push(`"timezone" must be a time zone name such as "Europe/Berlin" (got ${JSON.stringify(ruleZone)})`);
      const users = v['users'] ?? [];
      if (!isStringArray(users)) problems.push('"users" must be an array of user names');
      return problems.length > 0 ? problems : { ...base, type: t, from: from as number, to: to as number, days: days as number[], zone: ruleZone as string, users: users as string[] };
    }
    case 'new_rhost':
      return problems.length > 0 ? problems : { ...base, type: t };
  }
}

/** Parses a rules file; `zone` is the host's time zone (the default of outside_hours). */
export function parseRules(text: string, zone: string): ParsedRules {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (error) {
    return { rules: [], errors: [`not JSON: ${(error as Error).message}`], invalid: 0 };
  }
  const list = Array.isArray(doc) ? doc : typeof doc === 'object' && doc !== null ? (doc as { rules?: unknown }).rules : undefined;
  if (!Array.isArray(list)) return { rules: [], errors: ['expected {"rules": [...]} or an array of rules'], invalid: 0 };
  const rules: Rule[] = [];
  const errors: string[] = [];
  const names = new Set<string>();
  list.forEach((value, i) => {
    const label = `rule ${i + 1}${typeof value === 'object' && value !== null && typeof (value as { name?: unknown }).name === 'string' ? ` (${JSON.stringify((value as { name: string }).name)})` : ''}`;
    const parsed = parseRule(value, zone);
    if (Array.isArray(parsed)) {
      errors.push(`${label}: ${parsed.join('; ')}`);
      return;
    }
    if ((value as { enabled?: unknown }).enabled === false) return;
    if ((value as { enabled?: unknown }).enabled !== undefined && (value as { enabled?: unknown }).enabled !== true) {
      errors.push(`${label}: "enabled" must be true or false`);
      return;
    }
    if (names.has(parsed.name)) {
      errors.push(`${label}: another rule is already named ${JSON.stringify(parsed.name)}`);
      return;
    }
    names.add(parsed.name);
    rules.push(parsed);
  });
  return { rules, errors, invalid: errors.length };
}
