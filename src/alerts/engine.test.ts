import { describe, expect, it } from 'vitest';
import * as build from '../record/build.ts';
import type { LogRecord } from '../record/types.ts';
import { AlertEngine, allowedAt } from './engine.ts';
import { defaultRules, parseRules, type Rule } from './rules.ts';

const origin = { host: 'web1', boot_id: '00000000-0000-4000-8000-000000000000', source: 'pam' as const };
const t0 = Date.UTC(2026, 10, 20, 12, 0, 0) * 1000;
const sec = (n: number) => t0 + n * 1_000_000;
const login = (user: string, rhost: string | null) => ({ user, uid: null, tty: 'ssh', rhost, ruser: null, service: 'sshd', pid: 100, pid_start: 5 });
const fail = (at: number, rhost: string | null, user = 'alice') => build.authFailure(origin, login(user, rhost), at);
const open = (at: number, rhost: string | null, user = 'alice') => build.sessionOpen(origin, login(user, rhost), at);
const rules = (...only: string[]): Rule[] => defaultRules('UTC').filter((r) => only.includes(r.type));

function run(engine: AlertEngine, records: LogRecord[]) {
  return records.flatMap((r) => engine.add(r));
}

describe('AlertEngine', () => {
  it('alerts once when an rhost reaches the threshold within the window, and again only after the window', () => {
    const engine = new AlertEngine(rules('failures_by_rhost'));
    const burst = Array.from({ length: 10 }, (_, i) => fail(sec(i), '203.0.113.7'));
    const alerts = run(engine, burst);
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatchObject({ rule: 'failures_by_rhost', rhost: '203.0.113.7', count: 5, window_s: 600, first_event_id: burst[0]?.event_id, last_event_id: burst[4]?.event_id, severity: 'warning' });
    // 11 minutes later, a new burst: a new alert.
    const later = Array.from({ length: 5 }, (_, i) => fail(sec(660 + i), '203.0.113.7'));
    expect(run(engine, later)).toHaveLength(1);
  });

  it('does not count failures spread wider than the window, nor duplicated event ids', () => {
    const engine = new AlertEngine(rules('failures_by_rhost'));
    const spread = Array.from({ length: 8 }, (_, i) => fail(sec(i * 200), '198.51.100.1'));
    expect(run(engine, spread)).toHaveLength(0);
    const one = fail(sec(5000), '192.0.2.1');
    expect(run(engine, [one, one, one, one, one, one])).toHaveLength(0);
  });

  it('counts per user across rhosts', () => {
    const engine = new AlertEngine(rules('failures_by_user'));
    const alerts = run(engine, Array.from({ length: 10 }, (_, i) => fail(sec(i), `192.0.2.${i}`, 'root')));
    expect(alerts).toEqual([expect.objectContaining({ rule: 'failures_by_user', user: 'root', rhost: null, count: 10 })]);
  });

  it('raises brute_force_success for a login after enough failures from its rhost, not for one from elsewhere', () => {
    const engine = new AlertEngine(rules('brute_force_success'));
    run(engine, Array.from({ length: 6 }, (_, i) => fail(sec(i), '203.0.113.7')));
    expect(run(engine, [open(sec(30), '198.51.100.9')])).toEqual([]);
    const alerts = run(engine, [open(sec(31), '203.0.113.7')]);
    expect(alerts).toEqual([expect.objectContaining({ rule: 'brute_force_success', severity: 'critical', user: 'alice', rhost: '203.0.113.7', count: 6 })]);
    expect(run(engine, [open(sec(32), '203.0.113.7')])).toEqual([]); // within its window
  });

  it('raises root_login for remote root logins only, minus ignored rhosts', () => {
    const engine = new AlertEngine(parseRules('[{"type":"root_login","ignore_rhosts":["10.0.0.1"]}]', 'UTC').rules);
    expect(run(engine, [open(sec(1), null, 'root'), open(sec(2), '10.0.0.1', 'root'), open(sec(3), '203.0.113.1', 'alice')])).toEqual([]);
    expect(run(engine, [open(sec(4), '203.0.113.1', 'root')])).toEqual([expect.objectContaining({ rule: 'root_login', rhost: '203.0.113.1' })]);
  });

  it('raises outside_hours in the rule zone, with hours that wrap midnight', () => {
    const engine = new AlertEngine(parseRules('[{"type":"outside_hours","hours":"08:00-18:00","days":["mon","tue","wed","thu","fri"],"timezone":"Europe/Berlin"}]', 'UTC').rules);
    // 2026-11-20 is a Friday; 12:00Z is 13:00 in Berlin.
    expect(run(engine, [open(t0, null)])).toEqual([]);
    expect(run(engine, [open(Date.UTC(2026, 10, 20, 17, 30) * 1000, null)])).toEqual([expect.objectContaining({ rule: 'outside_hours', message: expect.stringContaining('Fri 18:30 Europe/Berlin') })]);
    expect(run(engine, [open(Date.UTC(2026, 10, 21, 10) * 1000, null)])).toHaveLength(1); // Saturday
    const night = { from: 22 * 60, to: 6 * 60, days: [0, 1, 2, 3, 4, 5, 6], zone: 'UTC' };
    expect(allowedAt(night, Date.UTC(2026, 10, 20, 23) * 1000)).toBe(true);
    expect(allowedAt(night, Date.UTC(2026, 10, 20, 12) * 1000)).toBe(false);
  });

  it('raises new_rhost when a known user comes from an rhost never seen for them', () => {
    const engine = new AlertEngine(rules('new_rhost'));
    expect(run(engine, [open(sec(1), '192.0.2.1'), open(sec(2), '192.0.2.1'), open(sec(3), '192.0.2.50', 'bob')])).toEqual([]);
    expect(run(engine, [open(sec(4), '192.0.2.2')])).toEqual([expect.objectContaining({ rule: 'new_rhost', user: 'alice', rhost: '192.0.2.2' })]);
    expect(run(engine, [open(sec(5), '192.0.2.2')])).toEqual([]);
  });

  it('carries on from its saved state as if it never stopped', () => {
    const all = [...Array.from({ length: 8 }, (_, i) => fail(sec(i), '203.0.113.7')), open(sec(20), '203.0.113.7'), ...Array.from({ length: 5 }, (_, i) => fail(sec(700 + i), '203.0.113.7'))];
    const straight = run(new AlertEngine(defaultRules('UTC')), all);
    for (let cut = 0; cut <= all.length; cut++) {
      const first = new AlertEngine(defaultRules('UTC'));
      const before = run(first, all.slice(0, cut));
      const second = new AlertEngine(defaultRules('UTC'), JSON.parse(JSON.stringify(first.state())));
      expect([...before, ...run(second, all.slice(cut))], `cut at ${cut}`).toEqual(straight);
    }
    expect(straight.map((a) => a.rule)).toEqual(['failures_by_rhost', 'brute_force_success', 'failures_by_rhost']);
  });
});
