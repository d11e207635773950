import { Ajv2020 } from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import { records } from '../../test/fixtures/export-corpus.ts';
import type { LogRecord } from '../record/types.ts';
import { toOtel } from './otel.ts';

// The shape checked: the OpenTelemetry log data model's fields.
const otelSchema = {
  type: 'object',
  required: ['Timestamp', 'SeverityText', 'SeverityNumber', 'Body', 'Resource', 'Attributes', 'EventName'],
  additionalProperties: false,
  properties: {
    Timestamp: { type: 'string', pattern: '^[1-9]\\d{18}$' },
    SeverityText: { enum: ['INFO', 'WARN'] },
    SeverityNumber: { type: 'integer', minimum: 1, maximum: 24 },
    Body: { type: 'string' },
    EventName: { type: 'string', pattern: '^logsphere\\.' },
    Resource: { type: 'object', required: ['host.name', 'service.name'], additionalProperties: { type: 'string' } },
    InstrumentationScope: { type: 'object', required: ['name'] },
    Attributes: {
      type: 'object',
      required: ['log.record.uid', 'logsphere.event'],
      additionalProperties: { type: ['string', 'number', 'boolean', 'array'] },
      propertyNames: { pattern: '^(log\\.record\\.uid|user\\.(name|id)|client\\.address|process\\.pid|session\\.id|logsphere\\.[a-z_]+)$' },
    },
  },
};
const ajv = new Ajv2020({ allErrors: true, strict: false });

describe('toOtel()', () => {
  const validate = ajv.compile(otelSchema);
  it('has the shape of the log data model for every record of the corpus', () => {
    for (const r of records) expect(validate(toOtel(r)), `${r.event}: ${ajv.errorsText(validate.errors)}`).toBe(true);
  });

  it('maps a login field by field, with the timestamp in nanoseconds', () => {
    expect(toOtel(records[1] as LogRecord)).toEqual({
      Timestamp: '1795251934853021000',
      SeverityText: 'INFO',
      SeverityNumber: 9,
      EventName: 'logsphere.session.open',
      Body: 'Login by user alice (UID: 1000) on pts/2 (PID: 14962) from 10.0.2.2 via sshd',
      Resource: { 'host.name': 'web1', 'host.boot.id': '7a2fbc11-fb9c-496f-9b67-b8b5eac3d591', 'service.name': 'logsphere' },
      InstrumentationScope: { name: 'logsphere', version: '1' },
      Attributes: {
        'log.record.uid': '01a1ff38-0000-7000-8000-000000000002', 'logsphere.event': 'session_open', 'logsphere.schema': 'logsphere/1', 'logsphere.source': 'pam',
        'user.name': 'alice', 'user.id': '1000', 'client.address': '10.0.2.2', 'process.pid': 14962, 'session.id': '01a1ff38-0000-7000-8000-0000000000a1',
        'logsphere.tty': 'pts/2', 'logsphere.service': 'sshd', 'logsphere.pid_start': 1596924,
      },
    });
    expect(BigInt(toOtel(records[1] as LogRecord)['Timestamp'] as string) / 1000n).toBe(BigInt(Date.parse('2026-11-21T09:05:34.853Z')) * 1000n + 21n);
    expect(toOtel(records[2] as LogRecord)).toMatchObject({ SeverityText: 'WARN', SeverityNumber: 13, EventName: 'logsphere.auth.failure' });
  });
});
