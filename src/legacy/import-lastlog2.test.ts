import { describe, expect, it } from 'vitest';
import { toLine } from '../record/build.ts';
import { uuidV5 } from '../record/name-ids.ts';
import type { LogRecord, SessionOpenRecord } from '../record/types.ts';
import { validateRecord } from '../record/validate.ts';
import type { Cell } from './database-rows.ts';
import { Lastlog2Importer } from './import-lastlog2.ts';

const s = (iso: string) => Date.parse(iso) / 1000;

function importRows(rows: Cell[][], host = 'old.example') {
  const records: LogRecord[] = [];
  const importer = new Lastlog2Importer({ host }, (r) => records.push(r));
  for (const r of rows) importer.addRow(r);
  return { records: records as SessionOpenRecord[], counts: importer.counts, lines: records.map(toLine).join('') };
}

const entries: Cell[][] = [
  ['root', s('2025-11-20T07:00:00Z'), 'tty1', '', null],
  ['alice', s('2026-03-02T12:10:00Z'), 'pts/0', '203.0.113.7', 'sshd'],
];

describe('Lastlog2Importer', () => {
  it('makes each last login a session_open of source lastlog2, without a close', () => {
    const { records, counts } = importRows(entries);
    expect(counts).toEqual({ noLogin: 0, noUser: 0, badTime: 0, notText: 0 });
    const bootId = uuidV5('old.example\u0000lastlog2-boot');
    expect(records).toEqual([
      {
        schema: 'logsphere/1', event_id: records[0]?.event_id, ts: '2025-11-20T07:00:00.000000Z', host: 'old.example', boot_id: bootId, source: 'lastlog2',
        event: 'session_open', session_id: records[0]?.session_id, user: 'root', uid: null, tty: 'tty1', rhost: null, ruser: null, service: 'lastlog2', pid: 0, pid_start: 0,
      },
      {
        schema: 'logsphere/1', event_id: records[1]?.event_id, ts: '2026-03-02T12:10:00.000000Z', host: 'old.example', boot_id: bootId, source: 'lastlog2',
        event: 'session_open', session_id: records[1]?.session_id, user: 'alice', uid: null, tty: 'pts/0', rhost: '203.0.113.7', ruser: null, service: 'sshd', pid: 0, pid_start: 0,
      },
    ]);
    for (const r of records) expect(validateRecord(JSON.parse(toLine(r)))).toMatchObject({ ok: true });
    const ids = records.flatMap((r) => [r.event_id, r.session_id]);
    expect(new Set(ids).size).toBe(4);
  });

  it('gives the same records for the same entries, and keeps those of users who did not log in since in a newer copy', () => {
    expect(importRows(entries).lines).toBe(importRows(entries).lines);
    const newer = importRows([entries[0] as Cell[], ['alice', s('2026-03-09T08:00:00Z'), 'pts/1', '203.0.113.7', 'sshd']]);
    expect(newer.records[0]).toEqual(importRows(entries).records[0]);
    expect(newer.records[1]?.event_id).not.toBe(importRows(entries).records[1]?.event_id);
  });

  it('counts the entries it leaves out: no login (Time 0), no user, a Time that is not a time, fields that are not text', () => {
    const { records, counts } = importRows([
      ['cleared', 0, null, null, null],
      [null, s('2026-03-02T12:10:00Z'), 'pts/9', null, 'sshd'],
      ['', s('2026-03-02T12:10:00Z'), 'pts/9', null, 'sshd'],
      ['neg', -5, 'pts/9', null, 'sshd'],
      ['text', 'yesterday', 'pts/9', null, 'sshd'],
      ['null', null, 'pts/9', null, 'sshd'],
      ['real', 1.5e9 + 0.5, 'pts/9', null, 'sshd'],
      ['far', 2 ** 40, 'pts/9', null, 'sshd'],
      ['blob', s('2026-03-02T12:10:00Z'), new Uint8Array([1]), null, 'sshd'],
      [42, s('2026-03-02T12:10:00Z'), 'pts/9', null, 'sshd'],
    ]);
    expect(records).toEqual([]);
    expect(counts).toEqual({ noLogin: 1, noUser: 2, badTime: 5, notText: 2 });
  });

  it('writes what a row holds escaped, capped at 256 bytes and named in truncated', () => {
    const { records } = importRows([[`a\u001b]0;x\u0007\n`, s('2026-03-02T12:10:00Z'), '/dev/pts/0', 'h'.repeat(400), 'sshd']]);
    expect(records[0]).toMatchObject({ user: 'a\u001b]0;x\u0007\n', tty: 'pts/0', rhost: 'h'.repeat(256), truncated: ['rhost'] });
    const line = toLine(records[0] as SessionOpenRecord);
    expect(line.slice(0, -1)).not.toMatch(/[\u0000-\u001f]/);
    expect(validateRecord(JSON.parse(line))).toMatchObject({ ok: true });
  });
});
