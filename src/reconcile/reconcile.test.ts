import { describe, expect, it } from 'vitest';
import * as build from '../record/build.ts';
import type { LogRecord } from '../record/types.ts';
import { ColumnsBuilder } from '../input/record-columns.ts';
import { JsonBytes } from '../record/json-bytes.ts';
import { jsonText } from '../record/json-text.ts';
import { sessionJson } from '../queries/session-json.ts';
import { briefOf, reconcile, Reconciler } from './reconcile.ts';
import { FailureCollector } from '../failures/failures.ts';

const T0 = Date.UTC(2026, 10, 21, 8, 0, 0) * 1000;
const min = (n: number) => T0 + n * 60_000_000;
const origin = (host: string, boot_id: string, source: 'pam' | 'systemd' = 'pam') => ({ host, boot_id, source });
const login = (over: Partial<build.Login> = {}): build.Login => ({
  user: 'alice', uid: 1000, tty: 'pts/1', rhost: '203.0.113.7', ruser: null, service: 'sshd', pid: 100, pid_start: 5000, ...over,
});

function shuffled<T>(items: T[], seed = 7): T[] {
  const out = [...items];
  let x = seed;
  for (let i = out.length - 1; i > 0; i--) {
    x = (x * 1103515245 + 12345) % 2 ** 31;
    const j = x % (i + 1);
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}

describe('reconcile()', () => {
  it('ends a session with a close as logout, with its duration', () => {
    const open = build.sessionOpen(origin('web1', 'A'), login(), min(0));
    const close = build.sessionClose(origin('web1', 'A'), login(), min(90), open);
    const { sessions } = reconcile([close, open]);
    expect(sessions).toEqual([
      expect.objectContaining({ session_id: open.session_id, end: 'logout', login_time: open.ts, logout_time: close.ts, duration_s: 5400 }),
    ]);
  });

  it('marks a session down when the host recorded a shutdown before its next boot', () => {
    const open = build.sessionOpen(origin('web1', 'A'), login(), min(0));
    const down = build.shutdown(origin('web1', 'A', 'systemd'), min(30));
    const boot = build.boot(origin('web1', 'B', 'systemd'), min(32), '6.1', min(31));
    const { sessions } = reconcile([boot, down, open]);
    expect(sessions[0]).toMatchObject({ end: 'down', logout_time: down.ts, duration_s: 1800 });
  });

  it('marks a session crash when the host rebooted without a shutdown', () => {
    const open = build.sessionOpen(origin('web1', 'A'), login(), min(0));
    const boot = build.boot(origin('web1', 'B', 'systemd'), min(45), '6.1', min(44));
    const { sessions } = reconcile([boot, open]);
    expect(sessions[0]).toMatchObject({ end: 'crash', logout_time: boot.boot_time });
  });

  it('marks a session gone when its process no longer exists in this boot, open while it does', () => {
    const open = build.sessionOpen(origin('web1', 'A'), login(), min(0));
    expect(reconcile([open], () => false).sessions[0]).toMatchObject({ end: 'gone', logout_time: null, duration_s: null });
    expect(reconcile([open], () => true).sessions[0]).toMatchObject({ end: null, logout_time: null });
    expect(reconcile([open]).sessions[0]).toMatchObject({ end: null });
  });

  it('asks whether a session runs with its audit session, when its open recorded one', () => {
    const open = build.sessionOpen(origin('web1', 'A'), login({ audit_session: 42 }), min(0));
    const older = build.sessionOpen(origin('web1', 'A'), login({ pid: 101 }), min(1));
    const asked: unknown[] = [];
    const sessions = reconcile([open, older], (s) => (asked.push(s), s.audit_session === 42)).sessions;
    expect(asked).toEqual([
      { host: 'web1', boot_id: 'A', pid: 100, pid_start: 5000, audit_session: 42 },
      { host: 'web1', boot_id: 'A', pid: 101, pid_start: 5000, audit_session: null },
    ]);
    expect(sessions.map((s) => [s.audit_session, s.end])).toEqual([[42, null], [null, 'gone']]);
  });

  it('takes the pty from the close, whichever way the close is paired', () => {
    const ssh = login({ tty: 'ssh' });
    const named = build.sessionOpen(origin('web1', 'A'), ssh, min(0));
    const namedClose = build.sessionClose(origin('web1', 'A'), ssh, min(5), named, {}, 'pts/3');
    const early = build.sessionOpen(origin('web1', 'A'), { ...ssh, pid: 200 }, min(1));
    const earlyClose = build.sessionClose(origin('web1', 'A'), { ...ssh, pid: 200 }, min(6), early, {}, 'pts/4');
    const unnamed = build.sessionOpen(origin('web1', 'A'), { ...ssh, pid: 300 }, min(2));
    const unnamedClose = build.sessionClose(origin('web1', 'A'), { ...ssh, pid: 300 }, min(7), null, {}, 'pts/5');
    const without = build.sessionOpen(origin('web1', 'A'), { ...ssh, pid: 400 }, min(3));
    const withoutClose = build.sessionClose(origin('web1', 'A'), { ...ssh, pid: 400 }, min(8), without);
    const { sessions } = reconcile([earlyClose, named, namedClose, early, unnamed, unnamedClose, without, withoutClose]);
    expect(sessions.map((s) => [s.tty, s.pty, s.end])).toEqual([
      ['ssh', 'pts/3', 'logout'], ['ssh', 'pts/4', 'logout'], ['ssh', 'pts/5', 'logout'], ['ssh', null, 'logout'],
    ]);
  });

  it('takes the pty of the earliest close that names one, of two at one instant the lesser, in whatever order the closes come', () => {
    const ssh = login({ tty: 'ssh' });
    const permutations = <T,>(items: T[]): T[][] =>
      items.length <= 1 ? [items] : items.flatMap((item, k) => permutations([...items.slice(0, k), ...items.slice(k + 1)]).map((rest) => [item, ...rest]));
    const open = build.sessionOpen(origin('web1', 'A'), ssh, min(0));
    const close = (at: number, pty?: string) => build.sessionClose(origin('web1', 'A'), ssh, min(at), open, {}, pty ?? null);
    // The earliest close names none; two at the next instant do; a later one names another.
    const first = [open, close(5), close(6, 'pts/7'), close(6, 'pts/2'), close(8, 'pts/1')];
    // The earliest close names one; a later one names another, and one between names none.
    const other = build.sessionOpen(origin('web1', 'A'), { ...ssh, pid: 200 }, min(1));
    const otherClose = (at: number, pty?: string) => build.sessionClose(origin('web1', 'A'), { ...ssh, pid: 200 }, min(at), other, {}, pty ?? null);
    const second = [other, otherClose(10, 'pts/8'), otherClose(12, 'pts/3'), otherClose(11)];
    const answers = new Set<string>();
    for (const [records, expected] of [[first, ['pts/2', close(5).ts]], [second, ['pts/8', otherClose(10).ts]]] as const) {
      for (const order of permutations([...records])) {
        const [session] = reconcile(order).sessions;
        expect([session?.pty, session?.logout_time]).toEqual(expected);
        // The same from columns, one batch per record.
        const reconciler = new Reconciler();
        for (const record of order) {
          const batch = new ColumnsBuilder();
          batch.add(record);
          reconciler.addColumns(batch.finish(0));
        }
        const result = reconciler.finish();
        answers.add(JSON.stringify(Array.from(result.order, (i) => result.session(i))));
      }
    }
    expect(answers.size).toBe(2);
  });

  it('tells user switches from logins by service, from a list that can be changed', () => {
    const records = ['sshd', 'sudo', 'su-l', 'login', 'pkexec', 'runuser'].map((service, i) => build.sessionOpen(origin('web1', 'A'), login({ service, pid: 100 + i }), min(i)));
    expect(reconcile(records).sessions.map((s) => `${s.service}:${s.kind}`)).toEqual([
      'sshd:login', 'sudo:switch', 'su-l:switch', 'login:login', 'pkexec:switch', 'runuser:switch',
    ]);
    expect(reconcile(records, () => null, { switchServices: ['login'] }).sessions.map((s) => s.kind)).toEqual([
      'login', 'login', 'login', 'switch', 'login', 'login',
    ]);
  });

  it('does not let a shutdown of an earlier boot end a later session', () => {
    const down = build.shutdown(origin('web1', 'A', 'systemd'), min(0));
    const boot = build.boot(origin('web1', 'B', 'systemd'), min(2), '6.1', min(1));
    const open = build.sessionOpen(origin('web1', 'B'), login(), min(10));
    expect(reconcile([open, boot, down]).sessions[0]).toMatchObject({ end: null });
  });

  it('pairs a close with a null session id with the latest open of the same process', () => {
    const first = build.sessionOpen(origin('web1', 'A'), login(), min(0));
    const firstClose = build.sessionClose(origin('web1', 'A'), login(), min(5), first);
    const second = build.sessionOpen(origin('web1', 'A'), login(), min(10));
    const other = build.sessionOpen(origin('web1', 'A'), login({ tty: 'pts/2' }), min(11));
    const nullClose = build.sessionClose(origin('web1', 'A'), login(), min(20), null);
    const { sessions, counts } = reconcile(shuffled([nullClose, other, second, firstClose, first]));
    const byId = new Map(sessions.map((s) => [s.session_id, s]));
    expect(byId.get(first.session_id)).toMatchObject({ end: 'logout', logout_time: firstClose.ts });
    expect(byId.get(second.session_id)).toMatchObject({ end: 'logout', logout_time: nullClose.ts });
    expect(byId.get(other.session_id)).toMatchObject({ end: null });
    expect(counts.closesWithoutOpen).toBe(0);
  });

  it('counts and ignores closes without an open', () => {
    const stray = build.sessionClose(origin('web1', 'A'), login(), min(3), { session_id: '01900000-0000-7000-8000-000000000000', ts: '2026-11-21T07:00:00.000000Z' });
    const unnamed = build.sessionClose(origin('web1', 'A'), login({ pid: 999 }), min(4), null);
    const { sessions, counts } = reconcile([stray, unnamed]);
    expect(sessions).toEqual([]);
    expect(counts.closesWithoutOpen).toBe(2);
  });

  it('counts a duplicated event once', () => {
    const open = build.sessionOpen(origin('web1', 'A'), login(), min(0));
    const close = build.sessionClose(origin('web1', 'A'), login(), min(1), open);
    const { sessions, counts } = reconcile([open, close, open, close, open]);
    expect(sessions).toHaveLength(1);
    expect(counts.duplicates).toBe(3);
  });

  it('gives the same answer for unsorted input from many hosts', () => {
    const records: LogRecord[] = [];
    for (const host of ['web1', 'web2', 'db1']) {
      records.push(build.boot(origin(host, `${host}-A`, 'systemd'), min(0), '6.1', min(0)));
      for (let i = 0; i < 5; i++) {
        const open = build.sessionOpen(origin(host, `${host}-A`), login({ pid: 100 + i, tty: `pts/${i}` }), min(1 + i));
        records.push(open);
        if (i % 2 === 0) records.push(build.sessionClose(origin(host, `${host}-A`), login({ pid: 100 + i, tty: `pts/${i}` }), min(20 + i), open));
      }
      if (host === 'web2') records.push(build.shutdown(origin(host, `${host}-A`, 'systemd'), min(40)));
      if (host !== 'db1') records.push(build.boot(origin(host, `${host}-B`, 'systemd'), min(50), '6.1', min(49)));
    }
    const sorted = reconcile(records);
    for (const seed of [1, 2, 3]) expect(reconcile(shuffled(records, seed))).toEqual(sorted);
    const ends = (host: string) => sorted.sessions.filter((s) => s.host === host).map((s) => s.end);
    expect(ends('web1')).toEqual(['logout', 'crash', 'logout', 'crash', 'logout']);
    expect(ends('web2')).toEqual(['logout', 'down', 'logout', 'down', 'logout']);
    expect(ends('db1')).toEqual(['logout', null, 'logout', null, 'logout']);
    expect(sorted.system.filter((e) => e.event === 'boot')).toHaveLength(5);
  });

  it('takes closes met before their opens (a newest-first read) as it takes them after, records or columns', () => {
    const records: LogRecord[] = [];
    let extra = 0;
    let withPty = 0;
    for (let i = 0; i < 3000; i++) {
      const who = login({ pid: 1000 + i, tty: `pts/${i % 50}` });
      const open = build.sessionOpen(origin(`web${i % 3}`, 'A'), who, min(i));
      records.push(open);
      if (i % 7 === 0) continue; // still open
      // A close without its pty, then (every third) a later duplicate with one, and (every fifth) an earlier one without.
      records.push(build.sessionClose(origin(`web${i % 3}`, 'A'), who, min(i + 30), open));
      if (i % 3 === 0) {
        records.push(build.sessionClose(origin(`web${i % 3}`, 'A'), who, min(i + 40), open, {}, `pts/${i % 11}`));
        extra++;
        withPty++;
      }
      if (i % 5 === 0) {
        records.push(build.sessionClose(origin(`web${i % 3}`, 'A'), who, min(i + 20), open));
        extra++;
      }
    }
    // Closes whose open never comes, one of them twice.
    const stray = build.sessionClose(origin('web1', 'A'), login({ pid: 9 }), min(5), { session_id: '01900000-0000-7000-8000-000000000001', ts: '2026-11-21T07:00:00.000000Z' });
    records.push(stray, stray, build.sessionClose(origin('web1', 'A'), login({ pid: 8 }), min(6), { session_id: '01900000-0000-7000-8000-000000000002', ts: '2026-11-21T07:00:00.000000Z' }));
    const inOrder = reconcile(records);
    expect(inOrder.sessions).toHaveLength(3000);
    expect(inOrder.counts).toEqual({ duplicates: extra + 1, closesWithoutOpen: 2 });
    expect(inOrder.sessions.filter((s) => s.pty !== null)).toHaveLength(withPty);
    // The earliest close ends it.
    const fifth = inOrder.sessions.find((s) => s.pid === 1005);
    expect([fifth?.pty, fifth?.logout_time]).toEqual([null, new Date(min(25) / 1000).toISOString().replace('Z', '000Z')]);
    expect(reconcile([...records].reverse())).toEqual(inOrder);
    // In columns, newest batch first, as a report reads the segment index.
    const reconciler = new Reconciler();
    for (let at = records.length; at > 0; at -= 1000) {
      const batch = new ColumnsBuilder();
      for (const r of records.slice(Math.max(0, at - 1000), at)) batch.add(r);
      reconciler.addColumns(batch.finish(0));
    }
    const columns = reconciler.finish();
    expect({ sessions: Array.from(columns.order, (i) => columns.session(i)), system: columns.system, counts: columns.counts }).toEqual(inOrder);
  });

  it('pairs a session that spans several boots by its id', () => {
    const open = build.sessionOpen(origin('web1', 'A'), login(), min(0));
    const boot = build.boot(origin('web1', 'B', 'systemd'), min(30), '6.1', min(29));
    const close = build.sessionClose(origin('web1', 'B'), login(), min(60), open);
    expect(reconcile([close, boot, open]).sessions[0]).toMatchObject({ end: 'logout', logout_time: close.ts });
  });
});

describe('sessionJsonInto()', () => {
  it('is the JSON text of the session object, hostile strings, open, gone and ended sessions included', () => {
    const hostile = ['alice', 'b"o\\b', 'c\u001b[31m', 'd\u0085e\u2028', 'ë€😀', 'tab\there', 'lone\ud800'];
    const records: LogRecord[] = [];
    hostile.forEach((user, n) => {
      const l = login({ user, tty: n % 2 ? null : `pts/${n}\u009b`, rhost: n % 3 ? null : `host"${n}`, pid: 200 + n, uid: n % 2 ? null : 1000 + n });
      const open = build.sessionOpen(origin('web"1', 'A'), l, min(n));
      records.push(open);
      if (n % 3 === 1) records.push(build.sessionClose(origin('web"1', 'A'), l, min(n) + 1_234_567, open, {}, 'pts/\u00859'));
    });
    records.push(build.boot(origin('web"1', 'B', 'systemd'), min(30), '6.1', min(29)));
    records.push(build.sessionOpen(origin('db1', 'C'), login({ pid: 300 }), min(40)));
    // A user switch, a uid near the top, and a close 0.5 s after its open.
    const su = build.sessionOpen(origin('db1', 'C'), login({ pid: 301, service: 'su', uid: 4294967294 }), min(41));
    records.push(su, build.sessionClose(origin('db1', 'C'), login({ pid: 301, service: 'su', uid: 4294967294 }), min(41) + 500_000, su, {}));
    // Added as records, and as columns (whose strings are kept as bytes).
    const reconciler = new Reconciler();
    for (const r of records) reconciler.add(r);
    const columns = new ColumnsBuilder();
    for (const r of records) columns.add(r);
    const fromColumns = new Reconciler();
    fromColumns.addColumns(columns.finish(0));
    const texts = [reconciler, fromColumns].map((r) => {
      const result = r.finish((s) => (s.pid === 300 ? false : null));
      expect(result.count).toBe(hostile.length + 2);
      expect(new Set(Array.from({ length: result.count }, (_, i) => result.session(i).kind))).toEqual(new Set(['login', 'switch']));
      return Array.from(result.order, (i) => {
        const written: Buffer[] = [];
        const out = new JsonBytes((bytes) => written.push(bytes));
        result.sessionJsonInto(i, out);
        out.flush();
        const text = Buffer.concat(written).toString('utf8');
        expect(text).toBe(jsonText(sessionJson(result.session(i))));
        return text;
      });
    });
    // Through columns, every string as it was (a lone surrogate included).
    expect(texts[1]).toEqual(texts[0]);
  });
});

describe('records written twice', () => {
  it('count the earlier copy, whichever is read first: a boot, a close without an id, an open with other fields', () => {
    const a = origin('web1', 'A');
    const open = build.sessionOpen(a, login(), min(10));
    // The same boot record (one event id) at minute 20 with another boot id, and at minute 5: only
    // the earlier counts, and does not end the session opened at minute 10.
    const boot = build.boot(origin('web1', 'B', 'systemd'), min(20), '6.1', min(19));
    const bootEarlier = { ...boot, ts: build.sessionOpen(a, login(), min(5)).ts, boot_time: build.sessionOpen(a, login(), min(4)).ts };
    // A close without an id of another process, at minute 50 and at minute 30.
    const other = build.sessionOpen(a, login({ pid: 200 }), min(15));
    const close = build.sessionClose(a, login({ pid: 200 }), min(50), null);
    const closeEarlier = { ...close, ts: build.sessionOpen(a, login(), min(30)).ts };
    // An open written twice: at minute 40 from one address, at minute 35 from another.
    const twice = build.sessionOpen(a, login({ pid: 300, rhost: '198.51.100.1' }), min(40));
    const twiceEarlier = { ...build.sessionOpen(a, login({ pid: 300, rhost: '198.51.100.2' }), min(35)), session_id: twice.session_id };
    const records: LogRecord[] = [open, boot, bootEarlier, other, close, closeEarlier, twice, twiceEarlier];
    const answer = (order: LogRecord[], asColumns: boolean) => {
      const reconciler = new Reconciler();
      if (asColumns) {
        const columns = new ColumnsBuilder();
        for (const r of order) columns.add(r);
        reconciler.addColumns(columns.finish(0));
      } else for (const r of order) reconciler.add(r);
      const result = reconciler.finish();
      return { sessions: Array.from(result.order, (i) => result.session(i)), system: result.system, counts: result.counts };
    };
    const first = answer(records, false);
    expect(first.sessions.map((x) => [x.pid, x.end, x.logout_time, x.rhost, x.login_time])).toEqual([
      [100, null, null, '203.0.113.7', open.ts],
      [200, 'logout', closeEarlier.ts, '203.0.113.7', other.ts],
      [300, null, null, '198.51.100.2', twiceEarlier.ts],
    ]);
    expect(first.system.map((x) => x.ts)).toEqual([bootEarlier.ts]);
    for (const [k, order] of [[...records].reverse(), shuffled(records, 3), shuffled(records, 11)].entries()) {
      expect(answer(order, false)).toEqual(first);
      expect(answer(order, k % 2 === 0)).toEqual(first);
    }
  });

  it('count the earlier copy of a failed login, whichever is read first', () => {
    const failure = build.authFailure(origin('web1', 'A'), login({ uid: null }), min(20));
    const earlier = { ...failure, ts: build.authFailure(origin('web1', 'A'), login(), min(10)).ts, rhost: '198.51.100.9' };
    for (const order of [[failure, earlier], [earlier, failure]]) {
      const collector = new FailureCollector({ since: null, until: null, user: null, host: null });
      for (const r of order) collector.add(r);
      expect(collector.sorted().map((f) => [f.ts, f.rhost])).toEqual([[earlier.ts, '198.51.100.9']]);
      expect(collector.duplicates).toBe(1);
      const columns = new ColumnsBuilder();
      for (const r of order) columns.add(r);
      const fromColumns = new FailureCollector({ since: null, until: null, user: null, host: null });
      fromColumns.addColumns(columns.finish(0));
      expect(fromColumns.sorted().map((f) => [f.ts, f.rhost])).toEqual([[earlier.ts, '198.51.100.9']]);
    }
  });
});

describe('brief()', () => {
  it('is briefOf(session()) for every session: open, gone, logout, down and crash, pty or tty', () => {
    const a = origin('web1', 'A');
    const open = build.sessionOpen(a, login({ tty: 'ssh' }), min(0));
    const closed = build.sessionOpen(a, login({ pid: 101, tty: 'ssh' }), min(1));
    const down = build.sessionOpen(a, login({ pid: 102, tty: null, rhost: null }), min(2));
    const records: LogRecord[] = [open, closed, build.sessionClose(a, login({ pid: 101, tty: 'ssh' }), min(3), closed, {}, 'pts/4'), down,
      build.shutdown(origin('web1', 'A', 'systemd'), min(10)), build.boot(origin('web1', 'B', 'systemd'), min(12), '6.1', min(11)),
      build.sessionOpen(origin('web1', 'B'), login({ pid: 103 }), min(13)), build.boot(origin('web1', 'C', 'systemd'), min(20), '6.1', min(19)),
      build.sessionOpen(origin('web1', 'C'), login({ pid: 104 }), min(21)), build.sessionOpen(origin('web1', 'C'), login({ pid: 105 }), min(22))];
    const reconciler = new Reconciler();
    for (const r of records) reconciler.add(r);
    const result = reconciler.finish((s) => (s.pid === 105 ? false : null));
    expect(new Set(Array.from({ length: result.count }, (_, i) => result.endOf(i)))).toEqual(new Set(['logout', 'down', 'crash', 'gone', null]));
    for (let i = 0; i < result.count; i++) expect(result.brief(i)).toEqual(briefOf(result.session(i)));
  });
});
