// A private PostgreSQL 15 cluster for tests (RECIPES.md): initdb into a fresh directory as the
// postgres user, started on a free loopback port and a socket in that directory, stopped by
// its own postmaster's pid, and removed.
import { execFileSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { freePort } from './rsyslog.ts';
import { waitFor } from './sshd.ts';

export const pgBin = '/usr/lib/postgresql/15/bin';
export const psqlPath = '/usr/bin/psql';

export interface Postgres {
  dir: string;
  port: number;
  /** A URL for `database` as the superuser postgres, over TCP. */
  url(database?: string, user?: string): string;
  /** Runs SQL through psql as postgres (or `user`); returns its output (unaligned, tuples only). */
  sql(text: string, database?: string, user?: string): string;
  /** Stops the postmaster by its pid: SIGINT (fast shutdown) or SIGQUIT (like a crash). */
  stop(how?: 'fast' | 'immediate'): Promise<void>;
  start(): Promise<void>;
  remove(): Promise<void>;
}

function postgresUid(): { uid: number; gid: number } {
  const line = readFileSync('/etc/passwd', 'utf8').split('\n').find((l) => l.startsWith('postgres:'));
  if (line === undefined) throw new Error('no postgres user (Debian package postgresql)');
  const [, , uid, gid] = line.split(':');
  return { uid: Number(uid), gid: Number(gid) };
}

export interface PostgresOptions {
  /** Called after initdb, before the first start: files to put in the cluster's directory (owned by postgres). */
  prepare?: (dir: string, owner: { uid: number; gid: number }) => void;
  /** More `-c name=value` settings. */
  settings?: string[];
}

export async function startPostgres(options: PostgresOptions = {}): Promise<Postgres> {
  const dir = mkdtempSync(`${tmpdir()}/ls-pg-`);
  const { uid, gid } = postgresUid();
  chownSync(dir, uid, gid);
  const port = await freePort();
  const asPostgres = (cmd: string, args: string[]) => execFileSync('runuser', ['-u', 'postgres', '--', cmd, ...args], { stdio: 'pipe', encoding: 'utf8' });
  asPostgres(`${pgBin}/initdb`, ['-D', `${dir}/data`, '-A', 'trust', '-U', 'postgres', '--no-sync']);
  options.prepare?.(dir, { uid, gid });
  const settings = (options.settings ?? []).map((x) => `-c ${x}`).join(' ');
  const pidOf = () => {
    try {
      return Number(readFileSync(`${dir}/data/postmaster.pid`, 'utf8').split('\n')[0]);
    } catch {
      return null;
    }
  };
  const pg: Postgres = {
    dir,
    port,
    url: (database = 'postgres', user = 'postgres') => `postgresql://${user}@127.0.0.1:${port}/${database}`,
    sql: (text, database = 'postgres', user = 'postgres') =>
      execFileSync(psqlPath, ['-X', '-q', '-At', '-v', 'ON_ERROR_STOP=1', '-h', dir, '-p', String(port), '-U', user, '-d', database, '-c', text], { stdio: 'pipe', encoding: 'utf8' }),
    async start() {
      asPostgres(`${pgBin}/pg_ctl`, ['-D', `${dir}/data`, '-l', `${dir}/log`, '-w', 'start', '-o', `-k ${dir} -p ${port} -c listen_addresses=127.0.0.1 -c fsync=off ${settings}`]);
      await waitFor('PostgreSQL to accept connections', () => {
        try {
          pg.sql('SELECT 1');
          return true;
        } catch {
          return null;
        }
      });
    },
    async stop(how = 'fast') {
      const pid = pidOf();
      if (pid === null) return;
      try {
        process.kill(pid, how === 'fast' ? 'SIGINT' : 'SIGQUIT');
      } catch {
        return;
      }
      await waitFor('PostgreSQL to stop', () => {
        try {
          process.kill(pid, 0);
          return null;
        } catch {
          return true;
        }
      }, 30_000);
      if (how === 'immediate') rmSync(`${dir}/data/postmaster.pid`, { force: true });
    },
    async remove() {
      await pg.stop('fast');
      rmSync(dir, { recursive: true, force: true });
    },
  };
  await pg.start();
  return pg;
}

export const havePostgres = () => existsSync(`${pgBin}/initdb`) && existsSync(psqlPath);
