import { describe, expect, it } from 'vitest';
import * as build from '../record/build.ts';
import { parseLines } from './parse-lines.ts';

const origin = { host: 'web1', boot_id: 'A', source: 'pam' } as const;
const login: build.Login = { user: 'alice', uid: 1, tty: 'pts/1', rhost: null, ruser: null, service: 'sshd', pid: 1, pid_start: 2 };
const open = build.sessionOpen(origin, login, 1_700_000_000_000_000);
const good = JSON.stringify(open);

describe('parseLines()', () => {
  it.each([
    ['blank and whitespace lines', `\n   \n${good}\n\n`, 1, 0],
    ['CRLF line ends', `${good}\r\n${good}\r\n`, 2, 0],
    ['a torn last line', `${good}\n${good.slice(0, 40)}`, 1, 1],
    ['invalid JSON', `{"schema":\n${good}\n`, 1, 1],
    ['JSON that is not an object', `[1,2]\n"text"\n42\nnull\n${good}\n`, 1, 4],
    ['wrong field types', `${JSON.stringify({ ...open, pid: '12' })}\n${JSON.stringify({ ...open, user: null })}\n`, 0, 2],
    ['an unknown event', `${JSON.stringify({ ...open, event: 'session_pause' })}\n`, 0, 1],
    ['another schema version', `${JSON.stringify({ ...open, schema: 'logsphere/2' })}\n`, 0, 1],
    ['unknown fields (kept)', `${JSON.stringify({ ...open, geo: { country: 'NL' } })}\n`, 1, 0],
    ['a NUL-padded line from a crash', `${'\u0000'.repeat(30)}\n${good}\n`, 1, 1],
  ])('%s: %i records, %i malformed', (_name, text, records, malformed) => {
    const parsed = parseLines(text);
    expect(parsed.records).toHaveLength(records);
    expect(parsed.malformed).toBe(malformed);
  });

  it('keeps every good line around bad ones, in order', () => {
    const second = build.sessionClose(origin, login, 1_700_000_060_000_000, open);
    const parsed = parseLines(`garbage\n${good}\n{"x":1}\n${JSON.stringify(second)}\n`);
    expect(parsed.records.map((r) => r.event_id)).toEqual([open.event_id, second.event_id]);
    expect(parsed.malformed).toBe(2);
  });
});
