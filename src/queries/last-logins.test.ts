import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateHistory, writeLogDirectory, type GeneratedHistory } from '../../test/helpers/log-history.ts';
import type { Config } from '../config/config.ts';
import { defaultSwitchServices } from '../reconcile/types.ts';
import { parseTimestamp, type Micros } from '../record/time.ts';
import type { SessionOpenRecord } from '../record/types.ts';
import { lastLogins, userSelection, type LastLogin, type LastLoginsRequest, type UserSelection } from './last-logins.ts';

describe('userSelection()', () => {
  const accounts = [{ name: 'alice', uid: 1000 }, { name: '2000', uid: 2001 }];
  it.each([
    ['alice', { name: 'alice' }],
    ['mallory', { name: 'mallory' }],
    // An account's name wins over the uid it looks like, as lastlog's getpwnam comes first.
    ['2000', { name: '2000' }],
    ['1000', { uids: { min: 1000, max: 1000 } }],
    ['1000-1999', { uids: { min: 1000, max: 1999 } }],
    ['1000-', { uids: { min: 1000, max: null } }],
    ['-999', { uids: { min: null, max: 999 } }],
    ['-', { name: '-' }],
    ['10-20-30', { name: '10-20-30' }],
    ['12345678901', { name: '12345678901' }],
    ['1e3', { name: '1e3' }],
  ] as Array<[string, UserSelection]>)('%s', (text, expected) => {
    expect(userSelection(text, accounts)).toEqual(expected);
  });
});

describe('lastLogins() over a generated history of four hosts', () => {
  let dir = '';
  let config: Config;
  let generated: GeneratedHistory;
  let now: Micros;

  beforeAll(() => {
    dir = mkdtempSync(`${tmpdir()}/ls-last-logins-`);
    generated = generateHistory({ sessions: 1500, seed: 5 });
    writeLogDirectory(`${dir}/log`, generated.lines, 400);
    writeFileSync(`${dir}/whole.jsonl`, generated.lines.join(''));
    now = generated.end + 3_600e6;
    config = {
      logDir: `${dir}/log`, logFile: `${dir}/log/sessions.jsonl`, runDir: `${dir}/run`, stateDir: `${dir}/state`,
      hostname: 'relay', ignoreServices: [], fsync: false, maxBytes: 0, keepDays: 0, configPath: null,
      rulesPath: `${dir}/rules.json`, webhook: null, mail: null,
    };
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  /** The answer worked out from the records themselves: the latest open of a login service per host and user. */
  function expected(request: Partial<LastLoginsRequest>): Array<Pick<LastLogin, 'user' | 'uid' | 'host' | 'service' | 'rhost' | 'login_time' | 'session_id'>> {
    const latest = new Map<string, SessionOpenRecord>();
    for (const r of generated.records) {
      if (r.event !== 'session_open' || defaultSwitchServices.includes(r.service)) continue;
      if (request.host != null && r.host !== request.host) continue;
      const key = JSON.stringify([r.host, r.user]);
      const known = latest.get(key);
      if (known === undefined || r.ts > known.ts || (r.ts === known.ts && r.session_id > known.session_id)) latest.set(key, r);
    }
    const user = request.user ?? null;
    return [...latest.values()]
      .filter((r) => user === null || ('name' in user ? r.user === user.name : r.uid !== null && (user.uids.min === null || r.uid >= user.uids.min) && (user.uids.max === null || r.uid <= user.uids.max)))
      .filter((r) => (request.before == null || (parseTimestamp(r.ts) as number) <= request.before) && (request.since == null || (parseTimestamp(r.ts) as number) >= request.since))
      .sort((a, b) => (a.uid ?? Infinity) - (b.uid ?? Infinity) || (a.user < b.user ? -1 : a.user > b.user ? 1 : 0) || (a.host < b.host ? -1 : a.host > b.host ? 1 : 0))
      .map((r) => ({ user: r.user, uid: r.uid, host: r.host, service: r.service, rhost: r.rhost, login_time: r.ts, session_id: r.session_id }));
  }

  const hour = 3_600e6;
  it.each<[string, (end: Micros) => Partial<LastLoginsRequest>]>([
    ['everyone', () => ({})],
    ['one host', () => ({ host: 'db1' })],
    ['one user', () => ({ user: { name: 'carol' } })],
    ['a range of uids', () => ({ user: { uids: { min: 1001, max: 1003 } } })],
    ['last logins older than a day before the end (-b)', (end) => ({ before: end - 24 * hour })],
    ['last logins within the last 12 hours (-t), read newest first', (end) => ({ since: end - 12 * hour })],
    ['both, on one host', (end) => ({ since: end - 48 * hour, before: end - 6 * hour, host: 'web2' })],
  ])('%s: the latest open of a login service of each user on each host, from the log directory as from one file', (_name, changes) => {
    const request = (inputs: string[]): LastLoginsRequest => ({ inputs, user: null, host: null, before: null, since: null, accounts: [], never: false, ...changes(generated.end) });
    const fromDirectory = lastLogins(request([]), config, now);
    const fromFile = lastLogins(request([`${dir}/whole.jsonl`]), config, now);
    const want = expected(changes(generated.end));
    expect(want.length).toBeGreaterThan(0);
    expect(fromDirectory.logins.map(({ user, uid, host, service, rhost, login_time, session_id }) => ({ user, uid, host, service, rhost, login_time, session_id }))).toEqual(want);
    // The terminals too (an ssh login's pty comes from its close, named or not).
    expect(fromDirectory.logins).toEqual(fromFile.logins);
    expect(fromFile.logins.some((l) => l.tty?.startsWith('pts/'))).toBe(true);
    expect(fromFile.warnings.some((w) => /^skipped \d+ malformed lines? in /.test(w))).toBe(true);
  });

  it('lists the accounts without a login among the records read, by uid with the rest', () => {
    const accounts = [{ name: 'root', uid: 0 }, { name: 'alice', uid: 1000 }, { name: 'nobody', uid: 65534 }, { name: 'erin', uid: 1005 }];
    const answer = lastLogins({ inputs: [], user: null, host: 'app1', before: null, since: null, accounts, never: true }, config, now);
    const never = answer.logins.filter((l) => l.at === null).map((l) => l.user);
    expect(never).toEqual(['erin', 'nobody']);
    expect(answer.logins.map((l) => l.uid)).toEqual([...answer.logins.map((l) => l.uid)].sort((a, b) => (a as number) - (b as number)));
  });
});
