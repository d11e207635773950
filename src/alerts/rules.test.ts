import { describe, expect, it } from 'vitest';
import { parseRules, ruleAsWritten } from './rules.ts';

describe('parseRules()', () => {
  it('reports every bad rule with its position and name and keeps the good ones', () => {
    const text = JSON.stringify({
      rules: [
        { type: 'failures_by_rhost', threshold: 3, window: '5m' },
        { type: 'failures_by_rhost', name: 'x', threshold: 0 },
        { type: 'nope' },
        'text',
        { type: 'root_login', severity: 'loud', extra: 1 },
        { type: 'outside_hours', hours: '9-5' },
        { type: 'new_rhost', enabled: false },
        { type: 'failures_by_rhost', threshold: 3, window: '90s' },
      ],
    });
    const { rules: ok, errors } = parseRules(text, 'UTC');
    expect(ok).toEqual([{ name: 'failures_by_rhost', type: 'failures_by_rhost', severity: 'warning', threshold: 3, window: 300 }]);
    expect(errors).toEqual([
      'rule 2 ("x"): "threshold" must be a whole number from 1 to 1000000',
      expect.stringMatching(/^rule 3: "type" must be one of/),
      'rule 4: is not a JSON object',
      'rule 5: unknown key "extra" for root_login; "severity" must be one of info, notice, warning, critical',
      expect.stringMatching(/^rule 6: "hours" must be/),
      'rule 8: another rule is already named "failures_by_rhost"',
    ]);
  });

  it('says what is wrong with a file that is not a rules file', () => {
    expect(parseRules('{', 'UTC').errors[0]).toMatch(/^not JSON: /);
    expect(parseRules('{"rule": []}', 'UTC')).toEqual({ rules: [], errors: ['expected {"rules": [...]} or an array of rules'], invalid: 0 });
  });
});

describe('ruleAsWritten()', () => {
  it('writes every rule back in the file syntax it is read from', () => {
    const text = JSON.stringify({ rules: [
      { type: 'failures_by_user', threshold: 3, window: '2h', severity: 'critical', name: 'users' },
      { type: 'root_login', ignore_rhosts: ['10.0.0.1'] },
      { type: 'outside_hours', hours: '22:30-06:15', days: ['mon', 'sat'], timezone: 'Europe/Berlin', users: ['ops'] },
      { type: 'brute_force_success', threshold: 5, window: 90 },
      { type: 'new_rhost' },
    ] });
    const { rules } = parseRules(text, 'UTC');
    const written = rules.map(ruleAsWritten);
    expect(written[0]).toEqual({ type: 'failures_by_user', name: 'users', severity: 'critical', threshold: 3, window: '2h' });
    expect(written[2]).toEqual({ type: 'outside_hours', name: 'outside_hours', severity: expect.any(String), hours: '22:30-06:15', days: ['mon', 'sat'], timezone: 'Europe/Berlin', users: ['ops'] });
    expect(written[3]?.['window']).toBe('90s');
    expect(parseRules(JSON.stringify({ rules: written }), 'UTC').rules).toEqual(rules);
  });
});
