import { Ajv2020 } from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import { parseRecordLine } from '../record/validate.ts';
import type { LogRecord } from '../record/types.ts';
import { toLine } from '../record/build.ts';
import { toEcs } from './ecs.ts';
import { formatRecord } from './formats.ts';
import { toOtel } from './otel.ts';

const base = '"schema":"logsphere/1","host":"web1","boot_id":"7a2fbc11-fb9c-496f-9b67-b8b5eac3d591"';
const who = (user: string, rhost: string | null, uid: number | null) =>
  `"user":${JSON.stringify(user)},"uid":${uid},"tty":"pts/2","rhost":${JSON.stringify(rhost)},"ruser":null,"service":"sshd","pid":14962,"pid_start":1596924`;
/** A fixed corpus: every event, an IPv6 and a named remote host, an unknown user, hostile text. */
const corpus = [
  `{${base},"event_id":"01a1ff38-0000-7000-8000-000000000001","ts":"2026-11-21T08:00:00.000000Z","source":"systemd","event":"boot","kernel":"6.1.0-18-amd64","boot_time":"2026-11-21T07:59:50.000000Z"}`,
  `{${base},"event_id":"01a1ff38-0000-7000-8000-000000000002","ts":"2026-11-21T09:05:34.853021Z","source":"pam","event":"session_open","session_id":"01a1ff38-0000-7000-8000-0000000000a1",${who('alice', '10.0.2.2', 1000)}}`,
  `{${base},"event_id":"01a1ff38-0000-7000-8000-000000000003","ts":"2026-11-21T09:06:00.000000Z","source":"pam","event":"auth_failure","session_id":null,${who('nobody-here', '2001:db8::7', null)}}`,
  `{${base},"event_id":"01a1ff38-0000-7000-8000-000000000004","ts":"2026-11-21T09:07:00.000000Z","source":"pam","event":"auth_failure","session_id":null,${who('evil\u001b[31m\u009b', 'attacker.example', null)},"truncated":["user"]}`,
  `{${base},"event_id":"01a1ff38-0000-7000-8000-000000000005","ts":"2026-11-21T10:05:35.353021Z","source":"pam","event":"session_close","session_id":"01a1ff38-0000-7000-8000-0000000000a1",${who('alice', '10.0.2.2', 1000)},"login_time":"2026-11-21T09:05:34.853021Z","duration_s":3600.5}`,
  `{${base},"event_id":"01a1ff38-0000-7000-8000-000000000006","ts":"2026-11-21T18:00:00.000000Z","source":"systemd","event":"shutdown"}`,
];
const records = corpus.map((line) => parseRecordLine(line) as LogRecord);

// The shapes checked: ECS field types and the allowed values of event.kind/category/type/outcome
// (ECS 8.11 categorization), and the OpenTelemetry log data model's fields.
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

describe('ECS output', () => {
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

describe('OpenTelemetry output', () => {
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

describe('output lines', () => {
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
