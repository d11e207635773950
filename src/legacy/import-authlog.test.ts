import { describe, expect, it } from 'vitest';
import type { AuthFailureRecord } from '../record/types.ts';
import { validateRecord } from '../record/validate.ts';
import { AuthlogImporter, parseAuthlogLine, parseSshdMessage } from './import-authlog.ts';

const utc = { zone: 'UTC', year: null, reference: Date.UTC(2026, 10, 21, 12) * 1000 };

function importLines(lines: string[], options = utc, host: string | null = null) {
  const records: AuthFailureRecord[] = [];
  const importer = new AuthlogImporter({ ...options, host }, (r) => records.push(r));
  for (const line of lines) importer.addLine(line);
  return { records, counts: importer.counts };
}

describe('parseSshdMessage()', () => {
  it.each([
    ['Failed password for alice from 203.0.113.7 port 50122 ssh2', { user: 'alice', rhost: '203.0.113.7', reason: 'failed_password' }],
    ['Failed password for invalid user admin from 2001:db8::7 port 22 ssh2', { user: 'admin', rhost: '2001:db8::7', reason: 'failed_password' }],
    ['Failed publickey for bob from 198.51.100.2 port 4000 ssh2: ED25519 SHA256:abc', { user: 'bob', rhost: '198.51.100.2', reason: 'failed_publickey' }],
    ['Failed keyboard-interactive/pam for invalid user x from 10.0.0.1 port 1 ssh2', { user: 'x', rhost: '10.0.0.1', reason: 'failed_other' }],
    ['Invalid user oracle from 192.0.2.9 port 33000', { user: 'oracle', rhost: '192.0.2.9', reason: 'invalid_user' }],
    ['Invalid user oracle from 192.0.2.9', { user: 'oracle', rhost: '192.0.2.9', reason: 'invalid_user' }],
    ['error: maximum authentication attempts exceeded for root from 192.0.2.1 port 2 ssh2 [preauth]', { user: 'root', rhost: '192.0.2.1', reason: 'max_attempts' }],
    ['maximum authentication attempts exceeded for invalid user a b from 192.0.2.1 port 2 ssh2 [preauth]', { user: 'a b', rhost: '192.0.2.1', reason: 'max_attempts' }],
  ])('reads %j', (message, expected) => {
    expect(parseSshdMessage(message)).toEqual(expected);
  });

  it('takes the last " from ADDRESS" when the client-chosen user name contains one', () => {
    expect(parseSshdMessage('Invalid user x from 1.2.3.4 port 9 from 192.0.2.5 port 40000')).toEqual({ user: 'x from 1.2.3.4 port 9', rhost: '192.0.2.5', reason: 'invalid_user' });
  });

  it.each(['Accepted password for alice from 203.0.113.7 port 50122 ssh2', 'Connection closed by 1.2.3.4 port 5 [preauth]', 'pam_unix(sshd:auth): authentication failure; logname= uid=0'])(
    'ignores %j',
    (message) => {
      expect(parseSshdMessage(message)).toBeNull();
    },
  );
});

describe('parseAuthlogLine()', () => {
  it('reads a classic line in the given zone, inferring the year from the file time', () => {
    const r = parseAuthlogLine('Nov  3 07:05:09 web1 sshd[812]: Failed password for root from 203.0.113.7 port 4 ssh2', { ...utc, zone: 'Europe/Berlin' });
    expect(r).toEqual({ kind: 'event', event: { at: Date.UTC(2026, 10, 3, 6, 5, 9) * 1000, host: 'web1', pid: 812, user: 'root', rhost: '203.0.113.7', reason: 'failed_password' } });
  });

  it('puts a December line of a file written in January in the year before', () => {
    const january = { zone: 'UTC', year: null, reference: Date.UTC(2027, 0, 2) * 1000 };
    const r = parseAuthlogLine('Dec 31 23:59:59 h sshd[1]: Invalid user a from 192.0.2.1', january);
    expect(r.kind === 'event' && r.event.at).toBe(Date.UTC(2026, 11, 31, 23, 59, 59) * 1000);
    const given = parseAuthlogLine('Dec 31 23:59:59 h sshd[1]: Invalid user a from 192.0.2.1', { ...january, year: 2020 });
    expect(given.kind === 'event' && given.event.at).toBe(Date.UTC(2020, 11, 31, 23, 59, 59) * 1000);
  });

  it('reads RFC 3339 lines with an offset and a fraction, and sshd-session', () => {
    const r = parseAuthlogLine('2026-11-21T13:05:09.123456+01:00 web2 sshd-session[77]: Failed publickey for bob from 192.0.2.3 port 5 ssh2: RSA SHA256:x', utc);
    expect(r).toMatchObject({ kind: 'event', event: { at: Date.UTC(2026, 10, 21, 12, 5, 9) * 1000 + 123456, host: 'web2', pid: 77, user: 'bob' } });
  });

  it('tells other programs and other sshd lines from lines that are not syslog at all', () => {
    expect(parseAuthlogLine('Nov 21 10:00:00 h sudo: alice : TTY=pts/0 ; COMMAND=/bin/ls', utc).kind).toBe('other');
    expect(parseAuthlogLine('Nov 21 10:00:00 h sshd[5]: Server listening on 0.0.0.0 port 22.', utc).kind).toBe('other');
    for (const bad of ['garbage', 'Foo 21 10:00:00 h sshd[5]: Invalid user a from 1.2.3.4', 'Feb 30 10:00:00 h sshd[5]: Invalid user a from 1.2.3.4', '2026-13-01T00:00:00Z h sshd[1]: Invalid user a from 1.2.3.4']) {
      expect(parseAuthlogLine(bad, utc).kind, bad).toBe('malformed');
    }
  });
});

describe('AuthlogImporter', () => {
  const lines = [
    'Nov 21 10:00:01 web1 sshd[900]: Invalid user admin from 203.0.113.9 port 40000',
    'Nov 21 10:00:03 web1 sshd[900]: Failed password for invalid user admin from 203.0.113.9 port 40000 ssh2',
    'Nov 21 10:00:04 web1 CRON[1]: pam_unix(cron:session): session opened for user root',
    'not a syslog line',
    '',
  ];

  it('writes valid auth_failure records with source authlog and counts malformed lines', () => {
    const { records, counts } = importLines(lines);
    expect(counts).toEqual({ events: 2, malformed: 1 });
    for (const r of records) expect(validateRecord(JSON.parse(JSON.stringify(r)))).toMatchObject({ ok: true });
    expect(records[1]).toMatchObject({ event: 'auth_failure', source: 'authlog', host: 'web1', user: 'admin', rhost: '203.0.113.9', service: 'sshd', tty: 'ssh', pid: 900, session_id: null, uid: null, ts: '2026-11-21T10:00:03.000000Z' });
  });

  it('derives the same ids on a second import, and --host wins over the line', () => {
    const a = importLines(lines).records.map((r) => r.event_id);
    expect(importLines(lines).records.map((r) => r.event_id)).toEqual(a);
    expect(new Set(a).size).toBe(2);
    const other = importLines(lines, utc, 'elsewhere').records;
    expect(other.map((r) => r.host)).toEqual(['elsewhere', 'elsewhere']);
    expect(other[0]?.event_id).not.toBe(a[0]);
  });

  it('caps hostile user names at 256 bytes and keeps control characters for JSON to escape', () => {
    const user = `\u001b[31m${'x'.repeat(400)}`;
    const { records } = importLines([`Nov 21 10:00:01 h sshd[1]: Invalid user ${user} from 192.0.2.1 port 2`]);
    expect(records[0]?.truncated).toEqual(['user']);
    expect(Buffer.byteLength(records[0]?.user ?? '')).toBe(256);
    expect(JSON.stringify(records[0])).toContain('\\u001b[31m');
  });
});
