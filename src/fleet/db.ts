// The connection to the fleet store. `pg` (node-postgres) and pg-copy-streams are loaded here, by
// the commands that take --db, and by nothing else: the hook never reaches this module.
//
// The URL comes from --db, or from LOGSPHERE_DATABASE_URL in the root-only secrets file (the
// command line is visible to every user through ps). TLS is libpq's: `sslmode` in the URL
// (disable, prefer, require, verify-ca, verify-full; with sslrootcert, sslcert, sslkey), as
// pg-connection-string reads it; another value is refused. Without sslmode, no TLS.

import type { Writable } from 'node:stream';
import type { ClientConfig as PgClientConfig } from 'pg';
import type { CopyStreamQuery as CopyFromStream } from 'pg-copy-streams';
import { UsageError } from '../cli/usage.ts';
import { escapeText } from '../text/terminal.ts';
import { passwordInText, urlCarriesPassword } from '../config/config-file.ts';

/** The queries the store makes; a pg Client. */
export interface Db {
  query<R = Record<string, unknown>>(text: string, values?: unknown[]): Promise<{ rows: R[]; rowCount: number | null }>;
  /** A query whose rows are handed to `onRow` as they arrive, none kept: an answer of any size costs a row in memory. */
  each<R = Record<string, unknown>>(text: string, values: unknown[], onRow: (row: R) => void): Promise<void>;
  /** A COPY ... FROM STDIN: the stream to write its data to. */
  copyFrom(text: string): Promise<Writable>;
  end(): Promise<void>;
}

/** Where the URL came from: a password on the command line gets a warning (ps shows it). */
export interface DbUrl {
  url: string;
  fromCommandLine: boolean;
}

/** The URL to use, from --db or LOGSPHERE_DATABASE_URL; a usage error when there is neither. */
export function dbUrl(option: string | undefined, configured: string | undefined): DbUrl {
  if (option !== undefined && option !== '') return { url: option, fromCommandLine: true };
  if (configured !== undefined && configured !== '') return { url: configured, fromCommandLine: false };
  throw new UsageError('--db URL is required (or LOGSPHERE_DATABASE_URL in /etc/logsphere/secrets.env)');
}

/**
 * Whether a command must read the secrets file for the URL: only when neither --db nor the
 * environment gives it (the ship unit has systemd read the file into its environment: as its
 * dynamic user it may not read the file itself).
 */
export function urlFromSecretsFile(option: string | null | undefined, env: Readonly<Record<string, string | undefined>>): boolean {
  return (option ?? '') === '' && env['LOGSPHERE_DATABASE_URL'] === undefined;
}

/** A warning for a URL on the command line that carries a password; null otherwise. */
export function passwordWarning(url: DbUrl): string | null {
  if (!url.fromCommandLine) return null;
  if (!urlCarriesPassword(url.url)) return null;
  return 'the --db URL carries a password, which any user can read with ps: put LOGSPHERE_DATABASE_URL in /etc/logsphere/secrets.env (mode 0600) or use ~/.pgpass';
}

/** The URL with its password hidden, to name it in messages. */
export function shownUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password !== '') parsed.password = '***';
    if (parsed.searchParams.has('password')) parsed.searchParams.set('password', '***');
    return parsed.toString();
  } catch {
    // Not a URL to the WHATWG parser (libpq's postgresql://user@/db?host=/run/postgresql, or no
    // URL at all): the text as given, its password hidden.
    return escapeText(url.replace(passwordInText, '$1***@').replace(/([?&]password=)[^&#]*/gi, '$1***'));
  }
}

/**
 * node-postgres, loaded. When it loads it asks whether it runs on Cloudflare Workers, through
 * `navigator` or, where node has none (20), by making a `Response`: that loads node's fetch
 * (undici), some 35 ms for every command with --db. A `navigator` that says node is there while
 * it loads, and only then.
 */
async function importPg(): Promise<typeof import('pg')> {
  const global = globalThis as { navigator?: unknown };
  if (global.navigator !== undefined) return import('pg');
  Object.defineProperty(globalThis, 'navigator', { value: { userAgent: `Node.js/${process.version}` }, configurable: true, writable: true });
  try {
    return await import('pg');
  } finally {
    delete global.navigator;
  }
}

/** The password ~/.pgpass (or PGPASSFILE) gives a connection; undefined when it gives none. */
async function pgpassPassword(connection: { host?: string; port?: number; database?: string; user?: string }): Promise<string | undefined> {
  const [pgpassModule, { Writable }] = await Promise.all([import('pgpass'), import('node:stream')]);
  const pgpass = (pgpassModule as { default?: typeof pgpassModule.default }).default ?? (pgpassModule as unknown as typeof pgpassModule.default);
  // Its warnings (a file others may read is not used, as libpq would not) said as ours.
  pgpass.warnTo(
    new Writable({
      write(chunk: Buffer, _encoding, done) {
        process.stderr.write(`logsphere: ${escapeText(String(chunk).trim().replace(/^WARNING: /, ''))}\n`);
        done();
      },
    }),
  );
  return new Promise((resolve) => pgpass(connection, resolve));
}

/** pg-copy-streams' COPY FROM STDIN: loaded where it is used (ship), not by the queries. */
let copyFrom: ((text: string) => CopyFromStream) | undefined;
async function loadCopyFrom(): Promise<(text: string) => CopyFromStream> {
  const copyModule = await import('pg-copy-streams');
  return copyModule.from ?? (copyModule as unknown as { default: typeof copyModule }).default.from;
}

export class DbError extends Error {
  /** PostgreSQL's SQLSTATE, when the error came from the server. */
  code: string | undefined;
  constructor(message: string, code?: string) {
    super(message);
    this.code = code;
  }
}

/** An error of the store or the connection, its text escaped: it comes from the server, and may go to a terminal. */
function storeError(error: unknown, prefix = ''): DbError {
  const code = (error as { code?: unknown } | null)?.code;
  return new DbError(`${prefix}${escapeText(error instanceof Error ? error.message : String(error))}`, typeof code === 'string' ? code : undefined);
}

/** Warnings for a URL: a password where ps shows it; a TCP connection to another host that TLS does not verify. */
export function urlWarnings(url: DbUrl): string[] {
  const warnings: string[] = [];
  const password = passwordWarning(url);
  if (password !== null) warnings.push(password);
  let parsed: URL;
  try {
    parsed = new URL(url.url);
  } catch {
    return warnings;
  }
  const host = parsed.searchParams.get('host') ?? decodeURIComponent(parsed.hostname);
  const local = host === '' || host.startsWith('/') || host === 'localhost' || host === '127.0.0.1' || host === '[::1]' || host === '::1';
  const mode = parsed.searchParams.get('sslmode');
  if (!local && mode !== 'verify-full' && mode !== 'verify-ca') {
    warnings.push(`the connection to ${host} is not verified (sslmode=${mode ?? 'none'}): anyone on the way can read or answer it; add ?sslmode=verify-full&sslrootcert=CA.pem`);
  }
  return warnings;
}

/** The sslmode values taken, as libpq's (but allow). */
const sslModes = ['disable', 'prefer', 'require', 'verify-ca', 'verify-full'];

/** Connects to the store at `url`. */
export async function connect(url: string, applicationName = 'logsphere'): Promise<Db> {
  const [pgModule, connectionModule] = await Promise.all([importPg(), import('pg-connection-string')]);
  // CommonJS packages: their exports are the default export when bundled, named ones otherwise.
  const pg = (pgModule as { default?: typeof pgModule.default }).default ?? (pgModule as unknown as typeof pgModule.default);
  if (!/^postgres(ql)?:\/\//.test(url)) throw new UsageError(`--db: not a PostgreSQL URL (postgresql://…): ${shownUrl(url)}`);
  // sslmode as libpq takes it (node-postgres alone takes require and verify-ca as verify-full).
  const connectionString = ((connectionModule as unknown as { default?: typeof connectionModule }).default ?? connectionModule) as typeof connectionModule;
  let parsed: PgClientConfig;
  let mode: string | null;
  try {
    // (Before the parse, which reads the file sslrootcert names.)
    if (/[?&]sslrootcert=system(?:[&#]|$)/.test(url)) throw new Error('sslrootcert=system is not supported: name the CA file');
    const options = connectionString.parse(url, { useLibpqCompat: true });
    mode = (options as { sslmode?: string | null }).sslmode ?? null;
    if (mode !== null && !sslModes.includes(mode)) throw new Error(`sslmode=${mode} is not one of ${sslModes.join(', ')}`);
    parsed = connectionString.toClientConfig(options) as PgClientConfig;
  } catch (error) {
    throw new DbError(`Cannot use ${shownUrl(url)}: ${error instanceof Error ? error.message : String(error)}`);
  }
  // A password from ~/.pgpass (or PGPASSFILE), as libpq reads it, asked for only when the server
  // wants one: node-postgres reads the file itself too, but says at each command that it will stop.
  let given = (parsed.password ?? '') !== '' || (process.env['PGPASSWORD'] ?? '') !== '';
  if (!given) {
    const fromFile = async (connection: Parameters<typeof pgpassPassword>[0]) => {
      const password = await pgpassPassword(connection);
      if (password !== undefined) given = true;
      return password;
    };
    // (node-postgres calls it with the connection's parameters, and takes undefined as none.)
    parsed.password = fromFile as unknown as () => Promise<string>;
  }
  const open = async (config: PgClientConfig) => {
    // keepAlive: a connection half open (a network gone) fails instead of hanging a following ship.
    const client = new pg.Client({ ...config, application_name: applicationName, connectionTimeoutMillis: 10_000, keepAlive: true, keepAliveInitialDelayMillis: 10_000 });
    // A connection lost between queries: the next query fails and says so.
    client.on('error', () => {});
    try {
      await client.connect();
      return client;
    } catch (error) {
      await client.end().catch(() => {});
      throw error;
    }
  };
  // A server that asks for a password the URL does not give: node-postgres says it in its own
  // words ("client password must be a string"); the administrator is told where one goes.
  const failed = (error: unknown): DbError => {
    const prefix = `Cannot connect to ${shownUrl(url)}: `;
    const message = error instanceof Error ? error.message : String(error);
    if (given || !/password/i.test(message)) return storeError(error, prefix);
    const said = /client password must be a string/.test(message) ? 'the server asks for a password, and none was given' : `${escapeText(message)}; no password was given`;
    return new DbError(`${prefix}${said}: put one in the URL (LOGSPHERE_DATABASE_URL in secrets.env) or in ~/.pgpass`, (error as { code?: string }).code);
  };
  let client: InstanceType<typeof pg.Client>;
  try {
    client = await open(parsed);
  } catch (error) {
    // prefer, as libpq: TLS when the server has it, else without.
    if (mode !== 'prefer' || !(error instanceof Error) || error.message !== 'The server does not support SSL connections') throw failed(error);
    try {
      client = await open({ ...parsed, ssl: false });
    } catch (again) {
      throw failed(again);
    }
  }
  return {
    query: async <R>(text: string, values?: unknown[]) => {
      try {
        const r = await client.query(text, values);
        return { rows: r.rows as R[], rowCount: r.rowCount };
      } catch (error) {
        throw storeError(error);
      }
    },
    each: <R>(text: string, values: unknown[], onRow: (row: R) => void) =>
      new Promise<void>((resolve, reject) => {
        const query = new pg.Query(text, values);
        let thrown: { error: unknown } | null = null;
        query.on('row', (row: R) => {
          if (thrown !== null) return;
          try {
            onRow(row);
          } catch (error) {
            thrown = { error };
          }
        });
        query.on('error', (error: unknown) => reject(storeError(error)));
        query.on('end', () => (thrown === null ? resolve() : reject(thrown.error)));
        client.query(query);
      }),
    copyFrom: async (text: string) => {
      copyFrom ??= await loadCopyFrom();
      return client.query(copyFrom(text));
    },
    end: () => client.end(),
  };
}
