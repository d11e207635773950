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

describe('record builders', () => {
  const open = build.sessionOpen(origin, { ...login, xdg_session_id: '7' }, t0);
  const close = build.sessionClose(origin, login, t0 + 90_500_001, open);
  const sshOpen = build.sessionOpen(origin, { ...login, tty: 'ssh', audit_session: 42 }, t0);
  const sshClose = build.sessionClose(origin, { ...login, tty: 'ssh' }, t0 + 1, sshOpen, {}, 'pts/5');
  const records = [
    open,
    close,
    sshOpen,
    sshClose,
    build.sessionClose(origin, login, t0 + 1, null),
    build.authFailure(origin, { ...login, uid: null, truncated: ['user'] }, t0),
    build.boot({ ...origin, source: 'systemd' }, t0, '6.1.0-test', t0 - 5_000_000),
    build.shutdown({ ...origin, source: 'systemd' }, t0),
  ];

  it('build records that match the JSON Schema and the validator', () => {
    for (const record of records) {
      expect(schemaValidates(record), ajv.errorsText(schemaValidates.errors)).toBe(true);
      expect(validateRecord(record)).toEqual({ ok: true, record });
    }
  });

  it('give a close the open session id, login_time and duration_s', () => {
    expect(close.session_id).toBe(open.session_id);
    expect(close.login_time).toBe('2026-11-21T13:00:00.000000Z');
    expect(close.duration_s).toBe(90.500001);
    expect(close.ts).toBe('2026-11-21T13:01:30.500001Z');
  });

  it('carry the audit session on the open and the pty found later on the close, in a fixed place', () => {
    expect(Object.keys(sshOpen).slice(-2)).toEqual(['pid_start', 'audit_session']);
    expect(sshOpen.audit_session).toBe(42);
    expect(Object.keys(sshClose).slice(-3)).toEqual(['login_time', 'duration_s', 'pty']);
    expect(sshClose.pty).toBe('pts/5');
    expect(close).not.toHaveProperty('pty');
    expect(open).not.toHaveProperty('audit_session');
  });

  it('use UUIDv7 ids that differ per record', () => {
    const ids = [...records.map((r) => r.event_id), open.session_id];
    for (const id of ids) expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('write one line per record, control characters escaped', () => {
    const hostile = build.sessionOpen(origin, { ...login, user: 'a\nb\u001b[31m"c' }, t0);
    const line = build.toLine(hostile);
    expect(line.endsWith('\n')).toBe(true);
    expect(line.slice(0, -1)).not.toMatch(/[\u0000-\u001f]/);
    expect(JSON.parse(line).user).toBe('a\nb\u001b[31m"c');
  });
});
