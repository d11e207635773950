// The output formats of `logsphere follow`: the log's own line unchanged (raw), an ECS document
// or an OpenTelemetry log record, one JSON line each.

import type { LogRecord } from '../record/types.ts';
import { toEcs } from './ecs.ts';
import { toOtel } from './otel.ts';
import { jsonText } from '../record/json-text.ts';

export type OutputFormat = 'raw' | 'ecs' | 'otel';
export const outputFormats: readonly OutputFormat[] = ['raw', 'ecs', 'otel'];

/** The output line (without newline) for a record read from the log as `line`. */
export function formatRecord(format: OutputFormat, record: LogRecord, line: string): string {
  switch (format) {
    case 'raw':
      return line;
    case 'ecs':
      return jsonText(toEcs(record));
    case 'otel':
      return jsonText(toOtel(record));
  }
}
