import { describe, expect, it } from 'vitest';
import { corpus, records } from '../../test/fixtures/export-corpus.ts';
import { toLine } from '../record/build.ts';
import type { LogRecord } from '../record/types.ts';
import { toEcs } from './ecs.ts';
import { formatRecord } from './formats.ts';
import { toOtel } from './otel.ts';

describe('formatRecord()', () => {
  it('raw is the line itself; ecs and otel lines carry no control character raw', () => {
    expect(formatRecord('raw', records[3] as LogRecord, corpus[3] as string)).toBe(corpus[3]);
    for (const format of ['ecs', 'otel'] as const) {
      for (const r of records) {
        const line = formatRecord(format, r, '');
        expect(/[\u0000-\u001f\u007f-\u009f]/.test(line), line).toBe(false);
        expect(JSON.parse(line)).toEqual(format === 'ecs' ? toEcs(r) : toOtel(r));
      }
    }
    // The log itself: a hostile user's C1 control is escaped as well.
    expect(toLine(records[3] as LogRecord)).toContain('"user":"evil\\u001b[31m\\u009b"');
  });
});
