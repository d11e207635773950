// The output formats of `logsphere follow`: the log's own line unchanged (raw), an ECS document
// or an OpenTelemetry log record, one JSON line each.

import type { SessionRecord } from '../record/types.ts';
import { toEcs } from './ecs.ts';
import { toOtel } from './otel.ts';

export type OutputFormat = 'raw' | 'ecs' | 'otel';
export const outputFormats: readonly OutputFormat[] = ['raw', 'ecs', 'otel'];

/**
 * JSON text with DEL, the C1 controls and the Unicode line separators escaped too (JSON.stringify
 * leaves them raw): still the same JSON value, and safe on a terminal.
 */
export function jsonLine(value: unknown): string {
  return JSON.stringify(value).replace(/[\u007f-\u009f\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** The output line (without newline) for a record read from the log as `line`. */
export function formatRecord(format: OutputFormat, record: SessionRecord, line: string): string {
  switch (format) {
    case 'raw':
      return line;
    case 'ecs':
      return jsonLine(toEcs(record));
    case 'otel':
      return jsonLine(toOtel(record));
  }
}
