// `logsphere ship`: loads the log's records (or --input files collected from many hosts) into the
// fleet store, exactly once (src/fleet/ship.ts). With --once it loads what is there and exits;
// without, it keeps going as the log grows, and rides out a store that is down: the log is the
// buffer, and the next batch starts where the last commit left off.

import { createHash } from 'node:crypto';
import { hostname } from 'node:os';
import { resolve } from 'node:path';
import { namedCheckpointPath } from '../../checkpoint/checkpoint-file.ts';
import { connect, shownUrl, urlFromSecretsFile, type Db } from '../../fleet/db.ts';
import { fleetUrl } from '../../fleet/fleet-source.ts';
import { checkSchema } from '../../fleet/schema.ts';
import { heartbeatEvery, localChecks, sendHeartbeat } from '../../fleet/heartbeat.ts';
import { shipOnce, type ShipTotals } from '../../fleet/ship.ts';
import { InputError } from '../../input/inputs.ts';
import { silentProgress } from '../../text/progress.ts';
import { parseCommandArgs } from '../args.ts';
import { defineCommand } from '../command.ts';

export const shipUsage = `Usage: logsphere ship [OPTIONS]

Loads records into the fleet store (PostgreSQL): the session log's, current and rotated,
or those of --input files (e.g. written by an rsyslog relay for many hosts). Each record is
stored once, however often it is loaded; lines that are not logsphere/1 records go to the
store's quarantine with their reason. The position is saved in the state directory
(ship-NAME.json) after each batch the store has committed.

Options:
      --db URL            the store, postgresql://USER@HOST[:PORT]/DB, with
                          ?sslmode=verify-full for TLS (default:
                          LOGSPHERE_DATABASE_URL in /etc/logsphere/secrets.env)
      --input PATH        a file or directory to load instead of the log; repeatable
      --once              load what is there and exit (cron, tests); without it, keep
                          loading what is appended, every 2 seconds
      --checkpoint NAME   the saved position's name (default: default for the log;
                          for --input, one named after the paths given)
  -h, --help              show this help

Exit status: 0 when everything read was loaded, 1 when an input or the store failed.
`;

export interface ShipOptions {
  db: string | undefined;
  inputs: string[];
  once: boolean;
  /** The saved position's name; null: the default (ship-default.json, or for --input one named after its paths). */
  checkpoint: string | null;
}

export function parseShipArgs(args: string[]): ShipOptions | 'help' {
  const { values } = parseCommandArgs({
    args,
    strict: true,
    allowPositionals: false,
    options: {
      db: { type: 'string' },
      input: { type: 'string', multiple: true },
      once: { type: 'boolean', default: false },
      checkpoint: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) return 'help';
  return { db: values.db, inputs: values.input ?? [], once: values.once, checkpoint: values.checkpoint ?? null };
}

/**
 * The default position's name: `default` for the log directory, and for --input one of its own
 * per list of paths, so that a relay's files and the host's own log never move each other's position.
 */
export function defaultCheckpointName(inputs: readonly string[]): string {
  if (inputs.length === 0) return 'default';
  return `input-${createHash('sha256').update(JSON.stringify(inputs.map((p) => resolve(p)))).digest('hex').slice(0, 16)}`;
}

const pollMs = 2000;
const longestBackoffMs = 60_000;

function summary(t: ShipTotals): string {
  return `shipped ${t.records} record${t.records === 1 ? '' : 's'} from ${t.files} file${t.files === 1 ? '' : 's'} (${t.added} new), ${t.quarantined} line${t.quarantined === 1 ? '' : 's'} quarantined\n`;
}

/** Waits `ms`, or less when `signal` aborts. */
function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done);
  });
}

export const shipCommand = defineCommand({
  name: 'ship',
  usage: shipUsage,
  longRunning: true,
  parse: parseShipArgs,
  async run(options, { config: loadConfig, io, signal, progress }) {
    const config = await loadConfig({ secrets: urlFromSecretsFile(options.db, io.env) });
    const url = fleetUrl(options.db, config, io);
    const checkpointPath = namedCheckpointPath(config.stateDir, 'ship', options.checkpoint ?? defaultCheckpointName(options.inputs));
    const paths = options.inputs.length > 0 ? options.inputs : [config.logDir];
    const source = config.hostname ?? hostname();
    // Following, the same warning (an entry left out of an input directory, met again at every
    // poll) is said once.
    const said = new Set<string>();
    const report = (t: ShipTotals) => {
      for (const w of t.warnings) {
        if (!options.once && said.has(w)) continue;
        said.add(w);
        io.stderr(`logsphere: ${w}\n`);
      }
    };

    // Shipping this host's own log, it says every minute that the host is there and which of its
    // open sessions still run (src/fleet/heartbeat.ts); a relay's --input files are other hosts'.
    const ownLog = options.inputs.length === 0;
    const heartbeat = async (db: Db) => {
      if (!ownLog) return;
      let local: ReturnType<typeof localChecks>;
      try {
        local = localChecks(config, io.env);
      } catch (error) {
        io.stderr(`logsphere: cannot tell which sessions run: ${error instanceof Error ? error.message : String(error)}\n`);
        local = { host: config.hostname ?? hostname(), checks: [] };
      }
      await sendHeartbeat(db, local.host, local.checks);
    };

    // A load of more than one batch stages the next on a second connection (shipOnce).
    const openSecond = () => connect(url.url, 'logsphere ship');

    if (options.once) {
      const db = await connect(url.url, 'logsphere ship');
      try {
        await checkSchema(db);
        // Progress on a terminal's standard error while it loads, erased before the summary.
        const totals = await shipOnce(db, paths, checkpointPath, source, progress('ship'), openSecond);
        await heartbeat(db);
        io.stdout(summary(totals));
        report(totals);
        return totals.warnings.length > 0 ? 1 : 0;
      } finally {
        await db.end().catch(() => {});
      }
    }

    // Following: a store that is down is retried with a growing pause, and said once per outage.
    let db: Db | null = null;
    let backoff = 1000;
    // What failed last: the store, or reading the inputs (a log directory not there yet); null: nothing.
    let down: 'store' | 'input' | null = null;
    let lastBeat = -Infinity;
    while (!signal.aborted) {
      try {
        if (db === null) {
          db = await connect(url.url, 'logsphere ship');
          await checkSchema(db);
        }
        const totals = await shipOnce(db, paths, checkpointPath, source, silentProgress, openSecond);
        if (performance.now() - lastBeat >= heartbeatEvery) {
          await heartbeat(db);
          lastBeat = performance.now();
        }
        if (down === 'store') io.stderr(`logsphere: the store ${shownUrl(url.url)} answers again\n`);
        down = null;
        backoff = 1000;
        if (totals.records > 0 || totals.quarantined > 0) io.stdout(summary(totals));
        report(totals);
        await pause(pollMs, signal);
      } catch (error) {
        // An input that cannot be read is this host's trouble, not the store's.
        const failed = error instanceof InputError ? 'input' : 'store';
        if (down !== failed) {
          const message = error instanceof Error ? error.message : String(error);
          io.stderr(failed === 'input' ? `logsphere: ${message}; retrying\n` : `logsphere: cannot load into ${shownUrl(url.url)}: ${message}; retrying\n`);
        }
        down = failed;
        await db?.end().catch(() => {});
        db = null;
        await pause(backoff, signal);
        backoff = Math.min(longestBackoffMs, backoff * 2);
      }
    }
    await db?.end().catch(() => {});
    return 0;
  },
});
