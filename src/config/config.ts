// Builds the typed configuration from the config file, the secrets file (read only by the
// commands that send mail or webhooks) and the environment, which wins. The hook passes no
// environment at all (config-file.ts). Validation itself is passed in: env-schema in the CLI,
// the precompiled validator in the hook.

import { configVariables, schemaDefaults, type ValidatedEnv } from './schema.ts';
import { parseEnvFile } from './env-file.ts';

export const defaultConfigPath = '/etc/logsphere/logsphere.env';
/** The root-only file of secrets (mail password, webhook URL), beside the config file. */
export const secretsFileName = 'secrets.env';
export const logFileName = 'sessions.jsonl';

export interface Config {
  logDir: string;
  logFile: string;
  runDir: string;
  stateDir: string;
  hostname: string | null;
  ignoreServices: string[];
  /** PAM services whose sessions are user switches (su, sudo, ...); the default list when absent. */
  switchServices?: string[];
  fsync: boolean;
  /** Size at which the writer rotates the log (0: never, rotation is left to logrotate). */
  maxBytes: number;
  /** Days rotated segments are kept by `logsphere rotate` (0: for ever). */
  keepDays: number;
  /** The file the values came from, when there was one. */
  configPath: string | null;
  /** The rules file of `logsphere watch` (built-in rules when it does not exist). */
  rulesPath: string;
  webhook: WebhookConfig | null;
  mail: MailConfig | null;
  /** The fleet store's URL (LOGSPHERE_DATABASE_URL, from secrets.env); null: none configured. */
  databaseUrl?: string | null;
}

export interface WebhookConfig {
  url: string;
  timeoutMs: number;
  retries: number;
}

export interface MailConfig {
  host: string;
  port: number;
  /** Required: the session is upgraded with STARTTLS before anything is sent, or not at all. */
  starttls: boolean;
  user: string | null;
  password: string | null;
  /** PEM file of the certificate authority the server's certificate must chain to (default: the system's). */
  caFile: string | null;
  from: string;
  to: string[];
}

export interface ConfigIssue {
  variable: string;
  message: string;
}

export type EnvValidator = (
  data: Record<string, string>,
) => { ok: true; env: ValidatedEnv } | { ok: false; issues: ConfigIssue[] };

/** Thrown when a configuration value is invalid; the message names every bad variable. */
export class ConfigError extends Error {
  override name = 'ConfigError';
  readonly issues: ConfigIssue[];
  constructor(source: string, issues: ConfigIssue[]) {
    super(
      `Invalid configuration in ${source}: ${issues.map((i) => `${i.variable} ${i.message}`).join('; ')}`,
    );
    this.issues = issues;
  }
}

export interface ConfigSources {
  /** The process environment (or a test's fixture). */
  env: Readonly<Record<string, string | undefined>>;
  /** Contents of the config file, or null when it does not exist. */
  fileText: string | null;
  filePath: string;
  /** Contents of the secrets file, when it was read (only by commands that send). */
  secretsText?: string | null;
  secretsPath?: string;
}

/** The secrets file that goes with a config file: secrets.env in the same directory. */
export function secretsPathFor(configPath: string): string {
  return `${configPath.slice(0, configPath.lastIndexOf('/') + 1)}${secretsFileName}`;
}

/** The config file path: LOGSPHERE_CONFIG from the environment, else the default. */
export function configPathFrom(env: Readonly<Record<string, string | undefined>>): string {
  return env['LOGSPHERE_CONFIG'] || defaultConfigPath;
}

/** The configuration variables set in the file and the environment (the environment wins). */
export function configData(sources: ConfigSources): Record<string, string> {
  const data: Record<string, string> = {};
  const files: Array<[string | null | undefined, string]> = [
    [sources.fileText, sources.filePath],
    [sources.secretsText, sources.secretsPath ?? secretsPathFor(sources.filePath)],
  ];
  for (const [text, path] of files) {
    if (text === null || text === undefined) continue;
    const parsed = parseEnvFile(text);
    if (parsed.problems.length > 0) {
      throw new ConfigError(path, parsed.problems.map((p) => ({ variable: `line ${p.line}`, message: p.message })));
    }
    for (const key of configVariables) {
      const value = parsed.values[key];
      if (value !== undefined) data[key] = value;
    }
  }
  for (const key of configVariables) {
    const value = sources.env[key];
    if (value !== undefined) data[key] = value;
  }
  return data;
}

/** Where the configuration came from, to name in a message: the files read, and the environment. */
function sourcesRead(sources: ConfigSources): string {
  const files = [sources.fileText == null ? null : sources.filePath, sources.secretsText == null ? null : (sources.secretsPath ?? secretsPathFor(sources.filePath))];
  const read = files.filter((f): f is string => f !== null);
  return read.length === 0 ? 'the environment' : `${read.join(', ')} and the environment`;
}

/**
 * The typed configuration. `validate` is called only when something is set: with nothing set,
 * the defaults need no validator (the usual case for the hook, and for the CLI, which then does
 * not load env-schema at all).
 */
export function loadConfig(sources: ConfigSources, validate: EnvValidator): Config {
  const data = configData(sources);
  const result = Object.keys(data).length === 0 ? { ok: true as const, env: schemaDefaults() } : validate(data);
  if (!result.ok) {
    throw new ConfigError(sourcesRead(sources), result.issues);
  }
  const env = result.env;
  const logDir = stripTrailingSlash(env.LOGSPHERE_LOG_DIR);
  return {
    logDir,
    logFile: `${logDir}/${logFileName}`,
    runDir: stripTrailingSlash(env.LOGSPHERE_RUN_DIR),
    stateDir: stripTrailingSlash(env.LOGSPHERE_STATE_DIR),
    hostname: env.LOGSPHERE_HOSTNAME ?? null,
    ignoreServices: env.LOGSPHERE_IGNORE_SERVICES.split(',').filter((s) => s !== ''),
    switchServices: env.LOGSPHERE_SWITCH_SERVICES.split(',').filter((s) => s !== ''),
    fsync: env.LOGSPHERE_FSYNC,
    maxBytes: env.LOGSPHERE_MAX_BYTES,
    keepDays: env.LOGSPHERE_KEEP_DAYS,
    configPath: sources.fileText === null ? null : sources.filePath,
    rulesPath: env.LOGSPHERE_RULES,
    webhook: env.LOGSPHERE_WEBHOOK_URL === undefined ? null : { url: env.LOGSPHERE_WEBHOOK_URL, timeoutMs: env.LOGSPHERE_WEBHOOK_TIMEOUT_MS, retries: env.LOGSPHERE_WEBHOOK_RETRIES },
    mail: mailConfig(env, sources),
    databaseUrl: env.LOGSPHERE_DATABASE_URL ?? null,
  };
}

function mailConfig(env: ValidatedEnv, sources: ConfigSources): MailConfig | null {
  const host = env.LOGSPHERE_SMTP_HOST;
  if (host === undefined) return null;
  if (env.LOGSPHERE_MAIL_TO === undefined || env.LOGSPHERE_MAIL_FROM === undefined) {
    throw new ConfigError(sourcesRead(sources), [
      { variable: env.LOGSPHERE_MAIL_TO === undefined ? 'LOGSPHERE_MAIL_TO' : 'LOGSPHERE_MAIL_FROM', message: 'must be set when LOGSPHERE_SMTP_HOST is' },
    ]);
  }
  return {
    host,
    port: env.LOGSPHERE_SMTP_PORT,
    starttls: env.LOGSPHERE_SMTP_STARTTLS,
    user: env.LOGSPHERE_SMTP_USER ?? null,
    password: env.LOGSPHERE_SMTP_PASSWORD ?? null,
    caFile: env.LOGSPHERE_SMTP_CA_FILE ?? null,
    from: env.LOGSPHERE_MAIL_FROM,
    to: env.LOGSPHERE_MAIL_TO.split(','),
  };
}

/** Whether anything is set, i.e. whether loadConfig will need its validator. */
export function needsValidation(sources: ConfigSources): boolean {
  return Object.keys(configData(sources)).length > 0;
}

function stripTrailingSlash(path: string): string {
  return path.length > 1 ? path.replace(/\/+$/, '') : path;
}

/** Turns Ajv error objects (from env-schema or the standalone validator) into named issues. */
export function issuesFromAjv(
  errors: ReadonlyArray<{ instancePath: string; message?: string; params: Record<string, unknown> }>,
  data: Record<string, string>,
): ConfigIssue[] {
  return errors.map((e) => {
    const missing = e.params['missingProperty'];
    const variable =
      typeof missing === 'string' ? missing : e.instancePath.replace(/^\//, '') || '(configuration)';
    const value = data[variable];
    const got = value === undefined ? '' : ` (got ${JSON.stringify(value)})`;
    return { variable, message: `${e.message ?? 'is invalid'}${got}` };
  });
}
