import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, type EnvValidator } from './config.ts';
import { parseEnvFile } from './env-file.ts';
import { schemaDefaults } from './schema.ts';
import { validateCompiled } from './validate-compiled.ts';
import { validateWithEnvSchema } from './validate-env-schema.ts';
import { validatePlain } from './validate-plain.ts';

const validators: Array<[string, EnvValidator]> = [
  ['env-schema', validateWithEnvSchema],
  ['the precompiled validator', validateCompiled],
  ["the hook's plain validator", validatePlain],
];

const load = (env: Record<string, string>, fileText: string | null, validate: EnvValidator) =>
  loadConfig({ env, fileText, filePath: '/etc/logsphere/logsphere.env' }, validate);

describe.each(validators)('loadConfig() with %s', (_name, validate) => {
  it('fills in the defaults of DESIGN.md', () => {
    const config = load({}, null, validate);
    expect(config).toEqual({
      logDir: '/var/log/logsphere',
      logFile: '/var/log/logsphere/sessions.jsonl',
      runDir: '/run/logsphere',
      stateDir: '/var/lib/logsphere',
      hostname: null,
      ignoreServices: ['cron', 'systemd-user'],
      switchServices: ['su', 'su-l', 'sudo', 'sudo-i', 'runuser', 'runuser-l', 'pkexec'],
      fsync: true,
      maxBytes: 16777216,
      keepDays: 365,
      configPath: null,
      rulesPath: '/etc/logsphere/rules.json',
      webhook: null,
      mail: null,
      databaseUrl: null,
    });
  });

  it('reads the alert delivery settings, and wants a sender and recipients with an SMTP host', () => {
    const config = load({ LOGSPHERE_WEBHOOK_URL: 'http://127.0.0.1:9/hook', LOGSPHERE_WEBHOOK_RETRIES: '0', LOGSPHERE_SMTP_HOST: 'mail.example.org', LOGSPHERE_SMTP_STARTTLS: 'false', LOGSPHERE_MAIL_FROM: 'ls@example.org', LOGSPHERE_MAIL_TO: 'a@example.org,b@example.org' }, null, validate);
    expect(config.webhook).toEqual({ url: 'http://127.0.0.1:9/hook', timeoutMs: 5000, retries: 0 });
    expect(config.mail).toEqual({ host: 'mail.example.org', port: 25, starttls: false, user: null, password: null, caFile: null, from: 'ls@example.org', to: ['a@example.org', 'b@example.org'] });
    expect(() => load({ LOGSPHERE_SMTP_HOST: 'mail.example.org' }, null, validate)).toThrow(/LOGSPHERE_MAIL_TO must be set when LOGSPHERE_SMTP_HOST is/);
    expect(() => load({ LOGSPHERE_WEBHOOK_URL: 'ftp://x' }, null, validate)).toThrow(/LOGSPHERE_WEBHOOK_URL/);
    expect(() => load({ LOGSPHERE_MAIL_TO: 'a@b,\nBcc: c@d' }, null, validate)).toThrow(/LOGSPHERE_MAIL_TO/);
  });

  it('lets the environment win over the file', () => {
    const file = 'LOGSPHERE_LOG_DIR=/srv/log\nLOGSPHERE_FSYNC=false\nLOGSPHERE_HOSTNAME=web1\n';
    const config = load({ LOGSPHERE_LOG_DIR: '/tmp/x/' }, file, validate);
    expect(config.logDir).toBe('/tmp/x');
    expect(config.logFile).toBe('/tmp/x/sessions.jsonl');
    expect(config.fsync).toBe(false);
    expect(config.hostname).toBe('web1');
    expect(config.configPath).toBe('/etc/logsphere/logsphere.env');
  });

  it('takes secrets from the secrets file over the config file, and the environment over both', () => {
    const sources = {
      env: { LOGSPHERE_SMTP_USER: 'from-env' },
      fileText: 'LOGSPHERE_SMTP_HOST=mail.example.org\nLOGSPHERE_MAIL_FROM=ls@example.org\nLOGSPHERE_MAIL_TO=a@example.org\nLOGSPHERE_SMTP_PASSWORD=old\n',
      filePath: '/etc/logsphere/logsphere.env',
      secretsText: 'LOGSPHERE_SMTP_PASSWORD=s3cret\nLOGSPHERE_SMTP_USER=from-secrets\n',
    };
    expect(loadConfig(sources, validate).mail).toMatchObject({ user: 'from-env', password: 's3cret' });
    expect(() => loadConfig({ ...sources, secretsText: 'not an assignment\n' }, validate)).toThrow(/^Invalid configuration in \/etc\/logsphere\/secrets\.env: line 1 expected KEY=VALUE$/);
    // A value of the secrets file that is refused names the files it may have come from.
    expect(() => loadConfig({ ...sources, secretsText: 'LOGSPHERE_DATABASE_URL=fleet\n' }, validate)).toThrow(/^Invalid configuration in \/etc\/logsphere\/logsphere\.env, \/etc\/logsphere\/secrets\.env and the environment: LOGSPHERE_DATABASE_URL /);
    expect(() => loadConfig({ env: {}, fileText: null, filePath: '/etc/logsphere/logsphere.env', secretsText: 'LOGSPHERE_DATABASE_URL=fleet\n' }, validate)).toThrow(/^Invalid configuration in \/etc\/logsphere\/secrets\.env and the environment: /);
  });

  it('splits LOGSPHERE_IGNORE_SERVICES on commas', () => {
    expect(load({ LOGSPHERE_IGNORE_SERVICES: 'cron,sudo,' }, null, validate).ignoreServices).toEqual(['cron', 'sudo']);
    expect(load({ LOGSPHERE_IGNORE_SERVICES: '' }, null, validate).ignoreServices).toEqual([]);
  });

  it('splits LOGSPHERE_SWITCH_SERVICES on commas, and refuses what is no service name', () => {
    expect(load({ LOGSPHERE_SWITCH_SERVICES: 'su,doas,' }, null, validate).switchServices).toEqual(['su', 'doas']);
    expect(load({ LOGSPHERE_SWITCH_SERVICES: '' }, null, validate).switchServices).toEqual([]);
    expect(() => load({ LOGSPHERE_SWITCH_SERVICES: 'su sudo' }, null, validate)).toThrow(/LOGSPHERE_SWITCH_SERVICES/);
  });

  it('accepts the usual spellings of booleans', () => {
    expect(load({ LOGSPHERE_FSYNC: 'true' }, null, validate).fsync).toBe(true);
    expect(load({ LOGSPHERE_FSYNC: 'false' }, null, validate).fsync).toBe(false);
  });

  it.each([
    ['LOGSPHERE_FSYNC', 'maybe', 'must be boolean'],
    ['LOGSPHERE_LOG_DIR', 'relative/dir', 'must match pattern'],
    ['LOGSPHERE_RUN_DIR', '', 'must match pattern'],
    ['LOGSPHERE_HOSTNAME', 'two words', 'must match pattern'],
    ['LOGSPHERE_IGNORE_SERVICES', 'cron;rm -rf', 'must match pattern'],
  ])('rejects %s=%j with an error naming the variable', (variable, value, message) => {
    let error: unknown;
    try {
      load({ [variable]: value }, null, validate);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).message).toContain(variable);
    expect((error as ConfigError).message).toContain(message);
    expect((error as ConfigError).issues.map((i) => i.variable)).toEqual([variable]);
  });

  it('names the file and line of a malformed config file', () => {
    expect(() => load({}, 'LOGSPHERE_FSYNC=false\nthis is not an assignment\n', validate)).toThrow(
      /logsphere\.env: line 2 expected KEY=VALUE/,
    );
  });

  it('ignores variables it does not know', () => {
    expect(load({ PATH: '/bin', LOGSPHERE_UNKNOWN: 'x' }, null, validate).logDir).toBe('/var/log/logsphere');
  });
});

describe('schemaDefaults()', () => {
  it.each(validators)('equals what %s makes of an empty configuration', (_name, validate) => {
    const result = validate({});
    expect(result.ok && result.env).toEqual(schemaDefaults());
  });
});

describe('parseEnvFile()', () => {
  it('reads quotes, export, comments and blank lines', () => {
    const parsed = parseEnvFile(
      '# comment\n\nexport A=1\nB="two words"\nC=\'x#y\'\nD=plain # trailing comment\r\nE=\n',
    );
    expect(parsed.problems).toEqual([]);
    expect(parsed.values).toEqual({ A: '1', B: 'two words', C: 'x#y', D: 'plain', E: '' });
  });
});

describe('validate-env.generated.js', () => {
  it('is up to date with src/config/schema.ts', () => {
    execFileSync(process.execPath, ['scripts/gen-config-validator.mjs', '--check'], { stdio: 'pipe' });
  });
});
