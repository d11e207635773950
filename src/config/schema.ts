// The configuration contract of DESIGN.md as one JSON Schema. It is validated by env-schema in
// the CLI and, on the hook's start-up path, by a validator that Ajv compiled from this very
// schema ahead of time (src/config/validate-env.generated.js, see scripts/gen-config-validator.mjs).

export const configSchema = {
  type: 'object',
  properties: {
    LOGSPHERE_LOG_DIR: { type: 'string', pattern: '^/', default: '/var/log/logsphere' },
    LOGSPHERE_RUN_DIR: { type: 'string', pattern: '^/', default: '/run/logsphere' },
    LOGSPHERE_STATE_DIR: { type: 'string', pattern: '^/', default: '/var/lib/logsphere' },
    LOGSPHERE_HOSTNAME: { type: 'string', pattern: '^[^\\s/]{1,253}$' },
    LOGSPHERE_IGNORE_SERVICES: {
      type: 'string',
      pattern: '^[A-Za-z0-9_.@+-]*(,[A-Za-z0-9_.@+-]*)*$',
      default: 'cron,systemd-user',
    },
    LOGSPHERE_FSYNC: { type: 'boolean', default: true },
    // PAM services whose sessions are user switches, not logins: recorded, but left out of the
    // views of logins (sessions, last, the report's counts) unless asked for with --all.
    LOGSPHERE_SWITCH_SERVICES: {
      type: 'string',
      pattern: '^[A-Za-z0-9_.@+-]*(,[A-Za-z0-9_.@+-]*)*$',
      default: 'su,su-l,sudo,sudo-i,runuser,runuser-l,pkexec',
    },
    // Rotation by size (0: never, e.g. when logrotate rotates) and retention of rotated segments
    // in days (0: keep them all).
    LOGSPHERE_MAX_BYTES: { type: 'integer', anyOf: [{ const: 0 }, { minimum: 4096 }], maximum: 1099511627776, default: 16777216 },
    LOGSPHERE_KEEP_DAYS: { type: 'integer', minimum: 0, maximum: 36500, default: 365 },
    // Alerts (logsphere watch) and the report's mail.
    LOGSPHERE_RULES: { type: 'string', pattern: '^/', default: '/etc/logsphere/rules.json' },
    LOGSPHERE_WEBHOOK_URL: { type: 'string', pattern: '^https?://[^\\s]+$' },
    LOGSPHERE_WEBHOOK_TIMEOUT_MS: { type: 'integer', minimum: 1, maximum: 600000, default: 5000 },
    LOGSPHERE_WEBHOOK_RETRIES: { type: 'integer', minimum: 0, maximum: 100, default: 3 },
    LOGSPHERE_SMTP_HOST: { type: 'string', pattern: '^[^\\s/]{1,253}$' },
    LOGSPHERE_SMTP_PORT: { type: 'integer', minimum: 1, maximum: 65535, default: 25 },
    LOGSPHERE_SMTP_STARTTLS: { type: 'boolean', default: true },
    LOGSPHERE_SMTP_USER: { type: 'string' },
    LOGSPHERE_SMTP_PASSWORD: { type: 'string' },
    LOGSPHERE_SMTP_CA_FILE: { type: 'string', pattern: '^/' },
    LOGSPHERE_MAIL_FROM: { type: 'string', pattern: '^[^\\s<>@]+@[^\\s<>@]+$' },
    LOGSPHERE_MAIL_TO: { type: 'string', pattern: '^[^\\s<>@,]+@[^\\s<>@,]+(,[^\\s<>@,]+@[^\\s<>@,]+)*$' },
    // The fleet store (ship, db and --db): a PostgreSQL URL, in secrets.env (it may hold a password).
    LOGSPHERE_DATABASE_URL: { type: 'string', pattern: '^postgres(ql)?://[^\\s]+$' },
  },
  required: [
    'LOGSPHERE_LOG_DIR',
    'LOGSPHERE_RUN_DIR',
    'LOGSPHERE_STATE_DIR',
    'LOGSPHERE_IGNORE_SERVICES',
    'LOGSPHERE_FSYNC',
    'LOGSPHERE_SWITCH_SERVICES',
    'LOGSPHERE_MAX_BYTES',
    'LOGSPHERE_KEEP_DAYS',
    'LOGSPHERE_RULES',
    'LOGSPHERE_WEBHOOK_TIMEOUT_MS',
    'LOGSPHERE_WEBHOOK_RETRIES',
    'LOGSPHERE_SMTP_PORT',
    'LOGSPHERE_SMTP_STARTTLS',
  ],
} as const;

/** The variables the schema knows; everything else in the environment is left alone. */
export const configVariables = Object.keys(configSchema.properties) as ConfigVariable[];

export type ConfigVariable = keyof typeof configSchema.properties;

/** What validation leaves behind: defaults filled in, booleans coerced. */
export interface ValidatedEnv {
  LOGSPHERE_LOG_DIR: string;
  LOGSPHERE_RUN_DIR: string;
  LOGSPHERE_STATE_DIR: string;
  LOGSPHERE_HOSTNAME?: string;
  LOGSPHERE_IGNORE_SERVICES: string;
  LOGSPHERE_FSYNC: boolean;
  LOGSPHERE_SWITCH_SERVICES: string;
  LOGSPHERE_MAX_BYTES: number;
  LOGSPHERE_KEEP_DAYS: number;
  LOGSPHERE_RULES: string;
  LOGSPHERE_WEBHOOK_URL?: string;
  LOGSPHERE_WEBHOOK_TIMEOUT_MS: number;
  LOGSPHERE_WEBHOOK_RETRIES: number;
  LOGSPHERE_SMTP_HOST?: string;
  LOGSPHERE_SMTP_PORT: number;
  LOGSPHERE_SMTP_STARTTLS: boolean;
  LOGSPHERE_SMTP_USER?: string;
  LOGSPHERE_SMTP_PASSWORD?: string;
  LOGSPHERE_SMTP_CA_FILE?: string;
  LOGSPHERE_MAIL_FROM?: string;
  LOGSPHERE_MAIL_TO?: string;
  LOGSPHERE_DATABASE_URL?: string;
}

/** The defaults of the schema: what validation yields when no variable is set at all. */
export function schemaDefaults(): ValidatedEnv {
  const env: Record<string, unknown> = {};
  for (const [key, property] of Object.entries(configSchema.properties)) {
    if ('default' in property) env[key] = property.default;
  }
  return env as unknown as ValidatedEnv;
}
