// What a query command does with --db: connects to the fleet store (the URL from --db, or with
// `--db=` from LOGSPHERE_DATABASE_URL), reads its records (of one host with --host) as an
// input, and closes the connection once the answer is made.

import type { CommandIO } from '../cli/io.ts';
import type { Config } from '../config/config.ts';
import type { RecordSource } from '../queries/history.ts';
import { connect, dbUrl, urlWarnings, shownUrl } from './db.ts';
import { fleetRecords } from './fleet-records.ts';

export async function withFleetSource<T>(option: string, config: Config, io: CommandIO, host: string | null, answer: (source: RecordSource) => T, what: 'all' | 'current' = 'all'): Promise<T> {
  const url = dbUrl(option, config.databaseUrl ?? undefined);
  for (const warning of urlWarnings(url)) io.stderr(`logsphere: ${warning}\n`);
  const db = await connect(url.url, 'logsphere');
  try {
    return answer(await fleetRecords(db, host, shownUrl(url.url), what));
  } finally {
    await db.end().catch(() => {});
  }
}
