import { describe, expect, it } from 'vitest';
import { Ajv2020 } from 'ajv/dist/2020.js';
import schema from './logsphere-1.schema.json' with { type: 'json' };
import * as build from './build.ts';
import { validateRecord } from './validate.ts';

const ajv = new Ajv2020({ allErrors: true });
const schemaValidates = ajv.compile(schema);

const origin = { host: 'web1', boot_id: '7a2fbc11-fb9c-496f-9b67-b8b5eac3d591', source: 'pam' } as const;
const login: build.Login = {
  user: 'alice', uid: 1000, tty: 'pts/3', rhost: '203.0.113.7', ruser: null, service: 'sshd', pid: 4242, pid_start: 99,
};
const t0 = Date.UTC(2026, 10, 21, 13, 0, 0) * 1000;

describe('validateRecord() agrees with the JSON Schema', () => {
  const good = build.sessionOpen(origin, login, t0) as unknown as Record<string, unknown>;
  const bad: Array<[string, unknown]> = [
    ['an array', []],
    ['null', null],
    ['another schema version', { ...good, schema: 'logsphere/2' }],
    ['a bad event id', { ...good, event_id: 'x' }],
    ['a local timestamp', { ...good, ts: '2026-11-21T13:00:00' }],
    ['an unknown event', { ...good, event: 'login' }],
    ['a missing host', { ...good, host: '' }],
    ['an unknown source', { ...good, source: 'web' }],
    ['a null session id on an open', { ...good, session_id: null }],
    ['a numeric user', { ...good, user: 7 }],
    ['an overlong rhost', { ...good, rhost: 'x'.repeat(257) }],
    ['a string pid', { ...good, pid: '12' }],
    ['a negative uid', { ...good, uid: -1 }],
    ['an unknown truncated field', { ...good, truncated: ['password'] }],
    ['a close with login_time only', { ...good, event: 'session_close', login_time: good['ts'] }],
    ['a negative audit session', { ...good, audit_session: -1 }],
    ['the kernel\'s unset audit session', { ...good, audit_session: 4294967295 }],
    ['a string audit session', { ...good, audit_session: '42' }],
    ['a numeric pty on a close', { ...good, event: 'session_close', pty: 5 }],
    ['an overlong pty on a close', { ...good, event: 'session_close', pty: 'p'.repeat(257) }],
    ['a boot without kernel', { ...good, event: 'boot', boot_time: good['ts'] }],
  ];
  it.each(bad)('both reject %s', (_name, value) => {
    expect(schemaValidates(value)).toBe(false);
    expect(validateRecord(value).ok).toBe(false);
  });

  it('both accept a record without audit_session or pty (older logs)', () => {
    expect(schemaValidates(good)).toBe(true);
    expect(validateRecord(good).ok).toBe(true);
    const close = { ...good, event: 'session_close', audit_session: 7, pty: 'pts/3' };
    expect(schemaValidates(close)).toBe(true);
    expect(validateRecord(close).ok).toBe(true);
  });

  it('both accept unknown fields', () => {
    const value = { ...good, added_later: { nested: true } };
    expect(schemaValidates(value)).toBe(true);
    expect(validateRecord(value).ok).toBe(true);
  });
});
