// The options the query commands share, for node:util parseArgs, and their checks; and the ones
// util-linux last and lastb share.

import { attachDashValues } from './args.ts';
import type { LastLayout } from './format/last-line.ts';
import { UsageError } from './usage.ts';

export const queryOptions = {
  json: { type: 'boolean', default: false },
  user: { type: 'string' },
  host: { type: 'string' },
  input: { type: 'string', multiple: true },
  wide: { type: 'boolean', short: 'w', default: false },
  help: { type: 'boolean', short: 'h', default: false },
} as const;

/** `-n N`: a number of lines, or null when not given. */
export function parseLimit(value: string | undefined): number | null {
  if (value === undefined) return null;
  const limit = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(limit)) throw new UsageError(`-n: expected a number of lines, got ${JSON.stringify(value)}`);
  return limit;
}

export function parseTimeFormat(value: string): 'short' | 'iso' {
  if (value !== 'short' && value !== 'iso') throw new UsageError(`--time-format: expected short or iso, got ${JSON.stringify(value)}`);
  return value;
}

/** `--time-format` of last and lastb: util-linux last's notime, short, full and iso. */
export function parseLastTimeFormat(value: string): 'notime' | 'short' | 'full' | 'iso' {
  if (value !== 'notime' && value !== 'short' && value !== 'full' && value !== 'iso') {
    throw new UsageError(`--time-format: expected notime, short, full or iso, got ${JSON.stringify(value)}`);
  }
  return value;
}

/** The options of util-linux last that lastb has too, beside the query options. */
export const lastStyleOptions = {
  ...queryOptions,
  limit: { type: 'string', short: 'n' },
  since: { type: 'string', short: 's' },
  until: { type: 'string', short: 't' },
  fulltimes: { type: 'boolean', short: 'F', default: false },
  'time-format': { type: 'string' },
  ip: { type: 'boolean', short: 'i', default: false },
  hostlast: { type: 'boolean', short: 'a', default: false },
  nohostname: { type: 'boolean', short: 'R', default: false },
  file: { type: 'string', short: 'f', multiple: true },
} as const;

/**
 * The words with util-linux last's `-N` (`-5`: at most 5 lines) written as `--limit=N`; a word
 * that is an option's value (`-n -5`, `--user -5`) or comes after `--` stays as it is.
 */
export function limitWords(args: readonly string[], options: Parameters<typeof attachDashValues>[1]): string[] {
  const words = attachDashValues(args, options);
  const end = words.indexOf('--');
  return words.map((w, i) => ((end < 0 || i < end) && /^-\d+$/.test(w) ? `--limit=${w.slice(1)}` : w));
}

/** The layout util-linux's -F, --time-format, -i, -a, -R and -w ask for. */
export function lastLayout(values: { fulltimes: boolean; 'time-format'?: string | undefined; ip: boolean; hostlast: boolean; nohostname: boolean; wide: boolean }): LastLayout {
  if (values.fulltimes && values['time-format'] !== undefined) throw new UsageError('-F and --time-format do not go together');
  if (values.hostlast && values.nohostname) throw new UsageError('-a and -R do not go together');
  return {
    timeFormat: values.fulltimes ? 'full' : parseLastTimeFormat(values['time-format'] ?? 'short'),
    hostColumn: values.hostlast ? 'last' : values.nohostname ? 'none' : 'before',
    ip: values.ip,
    wide: values.wide,
  };
}

/** `--since` and `--until` as given, refused when the period they make is empty. */
export function timeRange<T extends number | null>(since: T, until: T): { since: T; until: T } {
  if (since !== null && until !== null && until < since) throw new UsageError('--until is before --since');
  return { since, until };
}
