// Failed logins from the inputs (default: the log directory), oldest first, filtered by time,
// user and host; from what could be read of an input damaged part way (inputs.ts), which
// `incomplete` then says.

import type { Config } from '../config/config.ts';
import { FailureCollector, type Failure } from '../failures/failures.ts';
import { forEachRecord, readWarnings } from '../input/inputs.ts';
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

export interface FailedLogins {
  failures: Failure[];
  warnings: string[];
  /** An input was read only up to its damage (named in `warnings`): the answer lacks the rest. */
  incomplete: boolean;
}

export function failedLogins(request: FailedLoginsRequest, config: Config): FailedLogins {
  const collector = new FailureCollector(request, request.keepRecords);
  const read = forEachRecord(request.inputs.length > 0 ? request.inputs : [config.logDir], (r) => collector.add(r));
  return { failures: collector.sorted(), warnings: readWarnings(read), incomplete: read.damaged.length > 0 };
}
