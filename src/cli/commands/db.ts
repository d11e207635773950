// `logsphere db`: the fleet store's schema (`migrate`) and retention (`retain`).

import { urlFromSecretsFile } from '../../fleet/db.ts';
import { withFleet } from '../../fleet/fleet-source.ts';
import { checkSchema, migrate, schemaVersion } from '../../fleet/schema.ts';
import { parseCommandArgs } from '../args.ts';
import { defineCommand } from '../command.ts';
import { UsageError } from '../usage.ts';
import { escapeText } from '../../text/terminal.ts';

export const dbUsage = `Usage: logsphere db migrate [--db URL]
       logsphere db retain --keep-days N [--db URL]

migrate   creates the fleet store's schema in the database, or brings it to this
          version's (${schemaVersion}), one transaction per step; run it again at will
retain    drops the months of events older than N days, whole partitions at a time

Options:
      --db URL          the store, postgresql://USER@HOST[:PORT]/DB, with
                        ?sslmode=verify-full for TLS (default:
                        LOGSPHERE_DATABASE_URL in /etc/logsphere/secrets.env)
      --keep-days N     (retain) keep the events of the last N days (N >= 1)
  -h, --help            show this help
`;

export interface DbOptions {
  action: 'migrate' | 'retain';
  db: string | undefined;
  keepDays: number | null;
}

export function parseDbArgs(args: string[]): DbOptions | 'help' {
  const { values, positionals } = parseCommandArgs({
    args,
    strict: true,
    allowPositionals: true,
    options: {
      db: { type: 'string' },
      'keep-days': { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) return 'help';
  const [action, ...rest] = positionals;
  if (action !== 'migrate' && action !== 'retain') throw new UsageError(`db: expected migrate or retain${action === undefined ? '' : `, not ${JSON.stringify(action)}`}`);
  if (rest.length > 0) throw new UsageError(`db ${action}: unexpected ${JSON.stringify(rest[0])}`);
  let keepDays: number | null = null;
  if (action === 'retain') {
    const text = values['keep-days'];
    if (text === undefined || !/^\d{1,6}$/.test(text)) throw new UsageError('db retain: --keep-days N (whole days) is required');
    keepDays = Number(text);
    // 0 would keep no day, and drop every month but this one.
    if (keepDays < 1) throw new UsageError('db retain: --keep-days must be at least 1');
  } else if (values['keep-days'] !== undefined) throw new UsageError('--keep-days goes with db retain');
  return { action, db: values.db, keepDays };
}

export const dbCommand = defineCommand({
  name: 'db',
  usage: dbUsage,
  parse: parseDbArgs,
  async run(options, { config: loadConfig, io, now }) {
    const config = await loadConfig({ secrets: urlFromSecretsFile(options.db, io.env) });
    return withFleet(options.db, config, io, async (db) => {
      if (options.action === 'migrate') {
        const applied = await migrate(db);
        io.stdout(applied.length === 0 ? `the schema is at version ${schemaVersion}: nothing to do\n` : `applied version${applied.length === 1 ? '' : 's'} ${applied.join(', ')}: the schema is at version ${schemaVersion}\n`);
        return 0;
      }
      await checkSchema(db);
      // Dropping months takes the owner of the tables (who ran db migrate), whether or not a month
      // is due: a cron job of another role fails from its first run, not months later.
      const owner = await db.query<{ owns: boolean; owner: string }>(
        "SELECT pg_has_role(c.relowner, 'MEMBER') AS owns, pg_get_userbyid(c.relowner) AS owner FROM pg_class c WHERE c.oid = 'logsphere.events'::regclass",
      );
      const row = owner.rows[0];
      if (row !== undefined && !row.owns) {
        io.stderr(`logsphere: db retain drops tables owned by ${escapeText(row.owner)}: run it as that role (the one that ran db migrate)\n`);
        return 1;
      }
      // A month goes once all of it is older than the cut.
      const cut = new Date((now / 1000) - (options.keepDays as number) * 86_400_000).toISOString();
      const r = await db.query<{ name: string }>(
        `SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid JOIN pg_class p ON p.oid = i.inhparent
         JOIN pg_namespace n ON n.oid = p.relnamespace
         WHERE n.nspname = 'logsphere' AND p.relname = 'events' AND c.relname ~ '^events_[0-9]{4}_[0-9]{2}$'
           AND (to_date(substr(c.relname, 8), 'YYYY_MM') + interval '1 month') <= $1::timestamptz
         ORDER BY c.relname`,
        [cut],
      );
      const last = r.rows.at(-1)?.name;
      if (last !== undefined) {
        // In one transaction: the months, and with them the sessions whose open was in them and
        // the boots, shutdowns and id-less closes of those months, which the store no longer has.
        const [year, month] = last.slice('events_'.length).split('_').map(Number) as [number, number];
        const end = new Date(Date.UTC(year, month, 1)).toISOString();
        await db.query('BEGIN');
        try {
          for (const { name } of r.rows) await db.query(`DROP TABLE logsphere.${name}`);
          await db.query('DELETE FROM logsphere.open_sessions WHERE ts < $1::timestamptz', [end]);
          await db.query('DELETE FROM logsphere.ending_events WHERE ts < $1::timestamptz', [end]);
          // And what hosts last said of their processes in those months (a host no longer shipping).
          await db.query('DELETE FROM logsphere.process_checks WHERE checked_at < $1::timestamptz', [end]);
          await db.query('COMMIT');
        } catch (error) {
          await db.query('ROLLBACK').catch(() => {});
          throw error;
        }
      }
      io.stdout(r.rows.length === 0 ? 'no month of events is older than the cut\n' : `dropped ${r.rows.map((x) => x.name).join(', ')}\n`);
      return 0;
    }, `logsphere db ${options.action}`);
  },
});
