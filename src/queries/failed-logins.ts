// Failed logins from the inputs (default: the log directory), oldest first, filtered by time,
// user and host.

import type { Config } from '../config/config.ts';
import { FailureCollector, type Failure } from '../failures/failures.ts';
import { forEachRecord, malformedWarnings } from '../input/inputs.ts';
import type { Micros } from '../record/time.ts';

export interface FailedLoginsRequest {
  inputs: readonly string[];
  since: Micros | null;
  until: Micros | null;
  user: string | null;
  host: string | null;
  /** Keep each failure's whole record (for ECS and OpenTelemetry output). */
  keepRecords: boolean;
}

export function failedLogins(request: FailedLoginsRequest, config: Config): { failures: Failure[]; warnings: string[] } {
  const collector = new FailureCollector(request, request.keepRecords);
  const read = forEachRecord(request.inputs.length > 0 ? request.inputs : [config.logDir], (r) => collector.add(r));
  return { failures: collector.sorted(), warnings: malformedWarnings(read) };
}
