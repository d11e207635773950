// Reads and reconciles the records a query command works on, and knows what runs on this host.

import type { Config } from '../config/config.ts';
import { checkpointPath, loadCheckpoint, saveCheckpoint } from '../checkpoint/checkpoint-file.ts';
import { catchUp } from '../checkpoint/sessions-checkpoint.ts';
import { expandInputs, InputError, malformedWarnings, readRecords, type ReadResult } from '../input/inputs.ts';
import { reconcile } from '../reconcile/reconcile.ts';
import type { Liveness, Reconciled } from '../reconcile/types.ts';
import { bootId, kernelHostname } from '../sys/proc.ts';
import { processRuns } from '../sys/processes.ts';

export interface LocalHost {
  host: string;
  bootId: string;
}

export function localHost(config: Config): LocalHost {
  return { host: config.hostname ?? kernelHostname(), bootId: bootId() };
}

/** Liveness on this host in its current boot; unknown (null) anywhere else. */
export function localLiveness(local: LocalHost): Liveness {
  return (s) => (s.host === local.host && s.boot_id === local.bootId ? processRuns(s.pid, s.pid_start) : null);
}

export interface Loaded extends Reconciled {
  warnings: string[];
}

/** Reads the inputs (default: the log directory) and reconciles them. */
export function loadReconciled(inputs: readonly string[], config: Config, alive: Liveness): Loaded {
  let read: ReadResult;
  try {
    read = readRecords(inputs.length > 0 ? inputs : [config.logDir]);
  } catch (error) {
    // Without --input the reader failed on the default: name the log file, as a user knows it.
    if (error instanceof InputError && inputs.length === 0 && error.path === config.logDir) {
      throw new InputError(config.logFile, error.code, error.message.slice(`Cannot read ${error.path}: `.length));
    }
    throw error;
  }
  const reconciled = reconcile(read.records, alive);
  const warnings = malformedWarnings(read);
  if (reconciled.counts.closesWithoutOpen > 0) {
    warnings.push(`ignored ${reconciled.counts.closesWithoutOpen} session_close record(s) without a session_open`);
  }
  return { ...reconciled, warnings };
}


function defaultInputs(config: Config) {
  try {
    return expandInputs([config.logDir]);
  } catch (error) {
    if (error instanceof InputError && error.path === config.logDir) {
      throw new InputError(config.logFile, error.code, error.message.slice(`Cannot read ${error.path}: `.length));
    }
    throw error;
  }
}

/**
 * Current sessions from the log directory through the checkpoint: only what was appended since
 * the last call is read. Falls back to a full read (and a new checkpoint) after rotation or
 * truncation; a checkpoint that cannot be saved only costs speed.
 */
export function loadCurrent(config: Config, env: Readonly<Record<string, string | undefined>>, alive: Liveness): Loaded {
  const files = defaultInputs(config);
  const path = checkpointPath(config.stateDir, env);
  const { checkpoint, malformed } = catchUp(path === null ? null : loadCheckpoint(path), files);
  const warnings = malformedWarnings({ records: [], malformed });
  if (path !== null) {
    try {
      saveCheckpoint(path, checkpoint);
    } catch (error) {
      warnings.push(`cannot save the checkpoint ${path}: ${(error as { code?: string }).code ?? String(error)}`);
    }
  }
  return { ...reconcile(checkpoint.kept, alive), warnings };
}
