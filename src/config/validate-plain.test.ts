import { describe, expect, it } from 'vitest';
import { configSchema, configVariables } from './schema.ts';
import { validateCompiled } from './validate-compiled.ts';
import { plainKeywords, validatePlain } from './validate-plain.ts';

// Values meant to sit on either side of every rule of schema.ts: paths, host and service names,
// the spellings Ajv coerces to numbers and booleans, the limits of each range, Unicode.
const common = [
  '', ' ', 'x', '/', '//', '/var/log/logsphere', '/var/log/', 'relative/dir', './x', ' /x', '/a b', '/a\tb',
  'true', 'false', 'TRUE', 'False', 'yes', 'no', 'on', 'null', 'undefined',
  '0', '-0', '+0', '00', '1', '-1', '+1', '1.0', '1.5', '.5', '1e3', '1E3', '1e-3', '0x10', '0X1F', '0b101', '0o17', '0x', '1_000',
  ' 12', '12 ', '\t7\n', '1 2', 'Infinity', '-Infinity', '+Infinity', 'NaN', '1e400', '-1e400', '9007199254740993',
  '3', '99', '100', '101', '24', '25', '26', '4095', '4096', '4096.0', '4097', '5000', '16777216', '36499', '36500', '36501',
  '65535', '65536', '600000', '600001', '1099511627775', '1099511627776', '1099511627777',
  'web1', 'web-1.example.org', 'two words', 'a/b', 'x'.repeat(253), 'x'.repeat(254), '\u00e9'.repeat(253),
  '\u{1F600}'.repeat(200), '\u{1F600}'.repeat(253), '\u{1F600}'.repeat(254), 'a\u00a0b', 'a\u2028b', 'a\u3000b', '\ufeff', 'a\u0085b',
  'cron,systemd-user', 'cron', ',', ',,', 'cron,', ',cron', 'a,,b', 'su,su-l,sudo,sudo-i', 'user@host+x_y.z', 'cron;rm -rf', 'cron sudo', 'crön',
  'http://127.0.0.1:9/hook', 'https://example.org/x?y=z', 'http://', 'https://a b', 'ftp://x', 'HTTP://x', 'http://\u00e9',
  'a@b', 'ls@example.org', 'a@b,c@d', 'a@b,', 'a@b, c@d', 'a@b,\nBcc: c@d', '<a@b>', 'a@@b', '@b', 'a@', 'a@b@c', 'Name a@b',
  '/etc/ssl/ca.pem', 'p@ss word # x',
];

describe('validatePlain()', () => {
  it('knows every keyword of the schema', () => {
    const keywords = new Set<string>();
    const walk = (rule: object) => {
      for (const [key, value] of Object.entries(rule)) {
        keywords.add(key);
        if (key === 'anyOf') for (const branch of value as object[]) walk(branch);
      }
    };
    for (const rule of Object.values(configSchema.properties)) walk(rule);
    expect([...keywords].filter((k) => !plainKeywords.includes(k))).toEqual([]);
  });

  it.each(configVariables)('accepts and rejects the values of %s as the precompiled Ajv validator does', (variable) => {
    const property = configSchema.properties[variable] as { default?: unknown };
    const values = [...common, ...('default' in property ? [String(property.default)] : [])];
    for (const value of values) {
      const data = { [variable]: value };
      expect({ value, result: validatePlain(data) }).toEqual({ value, result: validateCompiled(data) });
    }
  });

  it('reports the issues of several variables in the order of the precompiled validator', () => {
    const bad = Object.fromEntries(configVariables.map((v) => [v, v.endsWith('_DIR') ? 'relative' : '100']));
    expect(validatePlain(bad)).toEqual(validateCompiled(bad));
    expect(validatePlain(bad).ok).toBe(false);
    const good = {
      LOGSPHERE_LOG_DIR: '/srv/log', LOGSPHERE_RUN_DIR: '/run/x', LOGSPHERE_HOSTNAME: 'web1', LOGSPHERE_FSYNC: 'false',
      LOGSPHERE_MAX_BYTES: '0', LOGSPHERE_KEEP_DAYS: '0', LOGSPHERE_SMTP_PORT: '587', LOGSPHERE_MAIL_TO: 'a@b,c@d',
    };
    expect(validatePlain(good)).toEqual(validateCompiled(good));
    expect(validatePlain(good).ok).toBe(true);
  });
});
