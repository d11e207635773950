import { describe, expect, it } from 'vitest';
import { toLine } from '../record/build.ts';
import { uuidV5 } from '../record/name-ids.ts';
import type { BootRecord, LogRecord, SessionCloseRecord, SessionOpenRecord } from '../record/types.ts';
import { validateRecord } from '../record/validate.ts';
import type { Cell } from './database-rows.ts';
import { WtmpdbImporter, WtmpdbType } from './import-wtmpdb.ts';

const { BOOT_TIME, USER_PROCESS } = WtmpdbType;
const t = (iso: string, micros = 0) => Date.parse(iso) * 1000 + micros;

/** A row of wtmpdb's table, in the order of wtmpdbColumns. */
const row = (type: Cell, user: Cell, login: Cell, logout: Cell, tty: Cell, rhost: Cell, service: Cell): Cell[] => [type, user, login, logout, tty, rhost, service];
const boot = (login: number, logout: number | null, kernel = '6.12.12-amd64') => row(BOOT_TIME, 'reboot', login, logout, '~', kernel, null);

function importRows(rows: Cell[][], host = 'old.example') {
  const records: LogRecord[] = [];
  const importer = new WtmpdbImporter({ host }, (r) => records.push(r));
  for (const r of rows) importer.addRow(r);
  importer.finish();
  return { records, counts: importer.counts, lines: records.map(toLine).join('') };
}

const history = [
  boot(t('2026-03-02T08:00:00Z'), t('2026-03-02T12:00:00Z', 250_000)),
  row(USER_PROCESS, 'alice', t('2026-03-02T08:05:01Z', 123_456), t('2026-03-02T09:15:30Z', 1), 'pts/0', '203.0.113.7', 'sshd'),
  row(USER_PROCESS, 'bob', t('2026-03-02T09:00:00Z'), null, 'tty1', null, 'login'),
  row(USER_PROCESS, 'carol', t('2026-03-02T10:00:00Z'), 0, 'pts/1', '198.51.100.2', 'sshd'),
  boot(t('2026-03-02T12:05:00Z'), null, '6.12.13-amd64'),
];

describe('WtmpdbImporter', () => {
  it('makes a boot and its shutdown, and a session\'s open and close, valid records in time order', () => {
    const { records, counts } = importRows(history);
    expect(counts).toEqual({ unknownType: 0, noUser: 0, badLogin: 0, badLogout: 0, notText: 0 });
    expect(records.map((r) => [r.event, r.ts, 'user' in r ? r.user : null])).toEqual([
      ['boot', '2026-03-02T08:00:00.000000Z', null],
      ['session_open', '2026-03-02T08:05:01.123456Z', 'alice'],
      ['session_open', '2026-03-02T09:00:00.000000Z', 'bob'],
      ['session_close', '2026-03-02T09:15:30.000001Z', 'alice'],
      ['session_open', '2026-03-02T10:00:00.000000Z', 'carol'],
      ['shutdown', '2026-03-02T12:00:00.250000Z', null],
      ['boot', '2026-03-02T12:05:00.000000Z', null],
    ]);
    for (const r of records) expect(validateRecord(JSON.parse(toLine(r))), JSON.stringify(r)).toMatchObject({ ok: true });
    const [firstBoot, aliceOpen, , aliceClose, , shutdown, secondBoot] = records as [BootRecord, SessionOpenRecord, SessionOpenRecord, SessionCloseRecord, SessionOpenRecord, LogRecord, BootRecord];
    expect(firstBoot).toEqual({
      schema: 'logsphere/1', event_id: firstBoot.event_id, ts: '2026-03-02T08:00:00.000000Z', host: 'old.example', boot_id: firstBoot.boot_id,
      source: 'wtmpdb', event: 'boot', kernel: '6.12.12-amd64', boot_time: '2026-03-02T08:00:00.000000Z',
    });
    expect(aliceOpen).toEqual({
      schema: 'logsphere/1', event_id: aliceOpen.event_id, ts: '2026-03-02T08:05:01.123456Z', host: 'old.example', boot_id: firstBoot.boot_id,
      source: 'wtmpdb', event: 'session_open', session_id: aliceOpen.session_id, user: 'alice', uid: null, tty: 'pts/0', rhost: '203.0.113.7',
      ruser: null, service: 'sshd', pid: 0, pid_start: 0,
    });
    expect(aliceClose).toEqual({
      ...aliceOpen, event_id: aliceClose.event_id, ts: '2026-03-02T09:15:30.000001Z', event: 'session_close',
      login_time: '2026-03-02T08:05:01.123456Z', duration_s: 4228.876545,
    });
    expect(shutdown).toEqual({ schema: 'logsphere/1', event_id: shutdown.event_id, ts: '2026-03-02T12:00:00.250000Z', host: 'old.example', boot_id: firstBoot.boot_id, source: 'wtmpdb', event: 'shutdown' });
    expect(secondBoot.boot_id).not.toBe(firstBoot.boot_id);
    const ids = records.flatMap((r) => ['session_id' in r && r.event === 'session_open' ? r.session_id : [], r.event_id, r.event === 'boot' ? r.boot_id : []].flat());
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids) expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  it('gives a row the same ids before and after it has its Logout (an older copy of the file, then the newer)', () => {
    const older = importRows(history.slice(0, 4).map((r) => (r[1] === 'bob' || r[0] === BOOT_TIME ? [...r.slice(0, 3), null, ...r.slice(4)] : r)));
    const newer = importRows([...history.slice(0, 2), row(USER_PROCESS, 'bob', t('2026-03-02T09:00:00Z'), t('2026-03-02T09:30:00Z'), 'tty1', null, 'login'), ...history.slice(3)]);
    const newerLines = new Set(newer.lines.split('\n'));
    for (const line of older.lines.split('\n')) expect(newerLines.has(line), line).toBe(true);
    expect(newer.records.length - older.records.length).toBe(3); // bob's close, the shutdown and the second boot
  });

  it('names rows by their content, not by where they are: the same rows again give the same records', () => {
    expect(importRows(history).lines).toBe(importRows(history).lines);
    expect(importRows(history, 'other.example').records[0]?.event_id).not.toBe(importRows(history).records[0]?.event_id);
  });

  it('puts the logins before the file\'s first boot in one boot per host that stands for unknown', () => {
    const early = row(USER_PROCESS, 'root', t('2026-03-02T07:59:00Z'), t('2026-03-02T07:59:30Z'), 'tty1', null, 'login');
    const { records } = importRows([early, ...history]);
    expect(records.slice(0, 2).map((r) => [r.event, r.boot_id])).toEqual([
      ['session_open', uuidV5('old.example\u0000wtmpdb-boot')],
      ['session_close', uuidV5('old.example\u0000wtmpdb-boot')],
    ]);
    expect(records[2]?.event).toBe('boot');
    expect(records[2]?.boot_id).not.toBe(records[0]?.boot_id);
  });

  it('writes a close held past later logins in its time\'s place, and the rest when finished', () => {
    const { records } = importRows([
      row(USER_PROCESS, 'long', t('2026-03-02T08:00:00Z'), t('2026-03-02T20:00:00Z'), 'pts/0', null, 'sshd'),
      row(USER_PROCESS, 'short', t('2026-03-02T09:00:00Z'), t('2026-03-02T09:10:00Z'), 'pts/1', null, 'sshd'),
      row(USER_PROCESS, 'later', t('2026-03-02T10:00:00Z'), t('2026-03-02T10:00:00Z'), 'pts/1', null, 'sshd'),
    ]);
    expect(records.map((r) => `${r.event} ${'user' in r ? r.user : ''} ${r.ts.slice(11, 16)}`)).toEqual([
      'session_open long 08:00', 'session_open short 09:00', 'session_close short 09:10',
      'session_open later 10:00', 'session_close later 10:00', 'session_close long 20:00',
    ]);
  });

  it('counts the rows it leaves out: of unknown type, without a user, with a Login that is not a time, with fields that are not text', () => {
    const { records, counts } = importRows([
      row(3, 'mallory', t('2026-03-02T08:00:00Z'), null, 'pts/2', null, 'sshd'), // NEW_TIME
      row(8, 'mallory', t('2026-03-02T08:00:00Z'), null, 'pts/2', null, 'sshd'), // DEAD_PROCESS
      row(null, 'mallory', t('2026-03-02T08:00:00Z'), null, 'pts/2', null, 'sshd'),
      row(USER_PROCESS, '', t('2026-03-02T08:00:00Z'), null, 'pts/2', null, 'sshd'),
      row(USER_PROCESS, null, t('2026-03-02T08:00:00Z'), null, 'pts/2', null, 'sshd'),
      row(USER_PROCESS, 'x', null, null, 'pts/2', null, 'sshd'),
      row(USER_PROCESS, 'x', 0, null, 'pts/2', null, 'sshd'),
      row(USER_PROCESS, 'x', -5, null, 'pts/2', null, 'sshd'),
      row(USER_PROCESS, 'x', 1.5, null, 'pts/2', null, 'sshd'),
      row(USER_PROCESS, 'x', 2 ** 60, null, 'pts/2', null, 'sshd'),
      row(USER_PROCESS, 'x', '1772438400000000', null, 'pts/2', null, 'sshd'),
      row(BOOT_TIME, 'reboot', null, null, '~', '6.1.0', null),
      row(USER_PROCESS, 'x', t('2026-03-02T08:00:00Z'), null, new Uint8Array([1]), null, 'sshd'),
      row(USER_PROCESS, 7, t('2026-03-02T08:00:00Z'), null, 'pts/2', null, 'sshd'),
      row(BOOT_TIME, 'reboot', t('2026-03-02T08:00:00Z'), null, '~', 6, null),
    ]);
    expect(records).toEqual([]);
    expect(counts).toEqual({ unknownType: 3, noUser: 2, badLogin: 7, badLogout: 0, notText: 3 });
  });

  it('imports a row whose Logout is before its Login, or not a time, without its end, and counts it', () => {
    const login = t('2026-03-02T08:00:00Z');
    const { records, counts } = importRows([
      row(USER_PROCESS, 'a', login, login - 1, 'pts/0', null, 'sshd'),
      row(USER_PROCESS, 'b', login, -1, 'pts/1', null, 'sshd'),
      row(USER_PROCESS, 'c', login, 'later', 'pts/2', null, 'sshd'),
      row(BOOT_TIME, 'reboot', login, 2 ** 60, '~', '6.1.0', null),
      row(USER_PROCESS, 'd', login, login, 'pts/3', null, 'sshd'),
    ]);
    expect(counts.badLogout).toBe(4);
    expect(records.map((r) => `${r.event} ${'user' in r ? r.user : ''}`)).toEqual(['session_open a', 'session_open b', 'session_open c', 'boot ', 'session_open d', 'session_close d']);
  });

  it('caps long fields at 256 bytes and names them in truncated, strips /dev/, and writes control characters escaped', () => {
    const user = `ev\u001b[31mil\nname\u0000${'é'.repeat(200)}`;
    const { records } = importRows([row(USER_PROCESS, user, t('2026-03-02T08:00:00Z'), t('2026-03-02T09:00:00Z'), '/dev/tty2', 'r'.repeat(300), 'x'.repeat(257))]);
    const [open, close] = records as [SessionOpenRecord, SessionCloseRecord];
    expect(open.truncated).toEqual(['user', 'rhost', 'service']);
    expect(Buffer.byteLength(open.user)).toBeLessThanOrEqual(256);
    expect(open.user.startsWith('ev\u001b[31mil\nname\u0000é')).toBe(true);
    expect(open.tty).toBe('tty2');
    expect(open.rhost).toBe('r'.repeat(256));
    expect(close.truncated).toEqual(['user', 'rhost', 'service']);
    const line = toLine(open);
    expect(line.slice(0, -1)).not.toMatch(/[\u0000-\u001f]/);
    expect(line).toContain('"ev\\u001b[31mil\\nname\\u0000é');
    expect(validateRecord(JSON.parse(line))).toMatchObject({ ok: true });
  });

  it('takes the service from Service, and wtmpdb when it is empty; an empty TTY or RemoteHost is null; a boot\'s kernel is its RemoteHost', () => {
    const { records } = importRows([
      row(USER_PROCESS, 'a', t('2026-03-02T08:00:00Z'), null, '', '', null),
      row(USER_PROCESS, 'b', t('2026-03-02T08:00:01Z'), null, null, null, ''),
      row(USER_PROCESS, 'c', t('2026-03-02T08:00:02Z'), null, 'pts/4', '2001:db8::4', 'su-l'),
      row(BOOT_TIME, 'soft-reboot', t('2026-03-02T08:00:03Z'), null, '~', null, null),
    ]);
    expect(records.map((r) => (r.event === 'boot' ? [r.kernel] : 'user' in r ? [r.user, r.tty, r.rhost, r.service] : []))).toEqual([
      ['a', null, null, 'wtmpdb'],
      ['b', null, null, 'wtmpdb'],
      ['c', 'pts/4', '2001:db8::4', 'su-l'],
      [''],
    ]);
  });
});
