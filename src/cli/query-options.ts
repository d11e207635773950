// The options the query commands share, for node:util parseArgs, and their checks.

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
