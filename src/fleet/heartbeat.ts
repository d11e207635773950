// The heartbeat a shipper of a host's own log sends every minute (`logsphere ship`): the host is
// there, and which of its open sessions of this boot still have a process, alive or gone. Only
// the host can see a session's processes; the fleet's `sessions --db` marks the sessions of a
// host not heard from for a while as unverified, and shows when it was last heard from.

import type { Config } from '../config/config.ts';
import { currentSessions } from '../queries/current-sessions.ts';
import { localHost } from '../queries/load-sessions.ts';
import type { Micros } from '../record/time.ts';
import type { Liveness } from '../reconcile/types.ts';
import type { Db } from './db.ts';

export interface ProcessCheck {
  boot_id: string;
  pid: number;
  pid_start: number;
  alive: boolean;
}

/** A host not heard from for longer than this has its sessions shown as unverified. */
export const staleAfter: Micros = 180e6;

/** How often a following ship sends its heartbeat. */
export const heartbeatEvery = 60_000;

/** This host's name as its records give it, and its open sessions of this boot, alive or gone. */
export function localChecks(config: Config, env: Readonly<Record<string, string | undefined>>): { host: string; checks: ProcessCheck[] } {
  const local = localHost(config);
  const { sessions } = currentSessions({ inputs: [], user: null, host: local.host, includeGone: true, all: true }, config, env);
  const checks = sessions
    .filter((s) => s.boot_id === local.bootId && s.pid > 0)
    .map((s) => ({ boot_id: s.boot_id, pid: s.pid, pid_start: s.pid_start, alive: s.end === null }));
  return { host: local.host, checks };
}

export async function sendHeartbeat(db: Db, host: string, checks: readonly ProcessCheck[]): Promise<void> {
  await db.query('SELECT logsphere.heartbeat($1, $2::jsonb)', [host, JSON.stringify(checks)]);
}

/** What the store knows of the hosts: when each was last heard from, and its processes checked. */
export interface FleetContacts {
  lastContact: Map<string, Micros>;
  /** A session's liveness as its host last saw it; null where its host said nothing of it. */
  alive: Liveness;
}

export async function fleetContacts(db: Db): Promise<FleetContacts> {
  const hosts = await db.query<{ host: string; at: string }>("SELECT host, (extract(epoch from last_contact) * 1000000)::bigint::text AS at FROM logsphere.hosts");
  const checks = await db.query<{ key: string; alive: boolean }>("SELECT host || ' ' || boot_id || ' ' || pid || ' ' || pid_start AS key, alive FROM logsphere.process_checks");
  const seen = new Map(checks.rows.map((r) => [r.key, r.alive]));
  return {
    lastContact: new Map(hosts.rows.map((r) => [r.host, Number(r.at)])),
    alive: (s) => seen.get(`${s.host} ${s.boot_id} ${s.pid} ${s.pid_start}`) ?? null,
  };
}
