import { Ajv2020 } from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import { records } from '../../test/fixtures/export-corpus.ts';
import type { LogRecord } from '../record/types.ts';
import { toEcs } from './ecs.ts';

// The shape checked: ECS field types and the allowed values of event.kind/category/type/outcome
// (ECS 8.11 categorization).
const ecsSchema = {
  type: 'object',
  required: ['@timestamp', 'ecs', 'event', 'host', 'message', 'logsphere'],
  properties: {
    '@timestamp': { type: 'string', pattern: '^\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{6}Z$' },
    ecs: { type: 'object', required: ['version'], properties: { version: { const: '8.11.0' } } },
    event: {
      type: 'object',
      required: ['id', 'kind', 'action', 'category', 'type', 'outcome'],
      properties: {
        id: { type: 'string' },
        kind: { const: 'event' },
        action: { enum: ['user_login', 'user_logout', 'boot', 'shutdown'] },
        category: { type: 'array', minItems: 1, items: { enum: ['authentication', 'session', 'host'] } },
        type: { type: 'array', minItems: 1, items: { enum: ['start', 'end', 'info'] } },
        outcome: { enum: ['success', 'failure', 'unknown'] },
        duration: { type: 'integer', minimum: 0 },
        start: { type: 'string' },
        end: { type: 'string' },
      },
    },
    host: { type: 'object', required: ['name', 'boot'], properties: { name: { type: 'string' }, boot: { type: 'object', required: ['id'] } } },
    user: { type: 'object', required: ['name'], properties: { name: { type: 'string' }, id: { type: 'string' } }, additionalProperties: false },
    source: { type: 'object', oneOf: [{ required: ['ip'] }, { required: ['domain'] }] },
    process: { type: 'object', required: ['pid'], properties: { pid: { type: 'integer' } } },
    related: { type: 'object', properties: { user: { type: 'array' }, ip: { type: 'array' }, hosts: { type: 'array' } } },
    message: { type: 'string' },
  },
};
const ajv = new Ajv2020({ allErrors: true, strict: false });

describe('toEcs()', () => {
  const validate = ajv.compile(ecsSchema);
  it('has the expected shape for every record of the corpus', () => {
    for (const r of records) expect(validate(toEcs(r)), `${r.event}: ${ajv.errorsText(validate.errors)}`).toBe(true);
  });

  it('maps a logout field by field', () => {
    expect(toEcs(records[4] as LogRecord)).toEqual({
      '@timestamp': '2026-11-21T10:05:35.353021Z',
      ecs: { version: '8.11.0' },
      event: {
        id: '01a1ff38-0000-7000-8000-000000000005', kind: 'event', module: 'logsphere', dataset: 'logsphere.login', action: 'user_logout',
        category: ['authentication', 'session'], type: ['end'], outcome: 'success',
        start: '2026-11-21T09:05:34.853021Z', end: '2026-11-21T10:05:35.353021Z', duration: 3_600_500_000_000,
      },
      host: { name: 'web1', boot: { id: '7a2fbc11-fb9c-496f-9b67-b8b5eac3d591' } },
      message: 'Logout by user alice (UID: 1000) on pts/2 (PID: 14962) from 10.0.2.2 via sshd',
      user: { name: 'alice', id: '1000' },
      process: { pid: 14962 },
      source: { ip: '10.0.2.2' },
      related: { user: ['alice'], ip: ['10.0.2.2'] },
      logsphere: { schema: 'logsphere/1', event: 'session_close', source: 'pam', session_id: '01a1ff38-0000-7000-8000-0000000000a1', tty: 'pts/2', service: 'sshd', ruser: null, pid_start: 1596924 },
    });
  });

  it('makes a failed login a user_login with outcome failure, a named remote host source.domain', () => {
    const doc = toEcs(records[3] as LogRecord) as { event: Record<string, unknown>; source: unknown; user: unknown; related: unknown };
    expect([doc.event['action'], doc.event['outcome'], doc.event['category']]).toEqual(['user_login', 'failure', ['authentication']]);
    expect(doc.source).toEqual({ domain: 'attacker.example' });
    expect(doc.user).toEqual({ name: 'evil\u001b[31m\u009b' });
    expect(toEcs(records[2] as LogRecord)['source']).toEqual({ ip: '2001:db8::7' });
    expect((toEcs(records[0] as LogRecord)['event'] as Record<string, unknown>)['action']).toBe('boot');
    expect((toEcs(records[5] as LogRecord)['event'] as Record<string, unknown>)['type']).toEqual(['end']);
  });
});
