// What a query command does with --db: connects to the fleet store (the URL from --db, or with
// `--db=` from LOGSPHERE_DATABASE_URL), reads its records (of one host with --host) as an
// input, and closes the connection once the answer is made.

import type { CommandIO } from '../cli/io.ts';
import type { Config } from '../config/config.ts';
import type { RecordSource } from '../queries/record-source.ts';
import type { Micros } from '../record/time.ts';
import { connect, dbUrl, shownUrl, urlWarnings, type Db, type DbUrl } from './db.ts';
import { fleetRecords, type FleetRead } from './fleet-records.ts';

/** The store's URL (from --db, or else LOGSPHERE_DATABASE_URL), its warnings said. */
export function fleetUrl(option: string | undefined, config: Config, io: CommandIO): DbUrl {
  const url = dbUrl(option, config.databaseUrl ?? undefined);
  for (const warning of urlWarnings(url)) io.stderr(`logsphere: ${warning}\n`);
  return url;
}

/** Runs `use` with a connection to the store (the URL from --db, or with `--db=` from LOGSPHERE_DATABASE_URL) and the name to show it by. */
export async function withFleet<T>(option: string | undefined, config: Config, io: CommandIO, use: (db: Db, name: string) => Promise<T>, applicationName = 'logsphere'): Promise<T> {
  const url = fleetUrl(option, config, io);
  const db = await connect(url.url, applicationName);
  try {
    return await use(db, shownUrl(url.url));
  } finally {
    await db.end().catch(() => {});
  }
}

export async function withFleetSource<T>(
  option: string,
  config: Config,
  io: CommandIO,
  host: string | null,
  answer: (source: RecordSource) => T,
  what: FleetRead = 'all',
  from: Micros | null = null,
): Promise<T> {
  return withFleet(option, config, io, async (db, name) => answer(await fleetRecords(db, host, name, what, from)));
}
