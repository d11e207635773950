// Web-server errors from access logs in the Common / Combined Log Format (nginx's `combined`,
// Apache's `%h %l %u %t "%r" %>s %b "%{Referer}i" "%{User-agent}i"`): 401, 403, 404 and 5xx
// answers counted per client address and per path. Lines that are not in the format are counted.

import type { Micros } from '../record/time.ts';

const linePattern = /^(\S+) \S+ (?:\S+|"[^"]*") \[(\d{2})\/([A-Z][a-z]{2})\/(\d{4}):(\d{2}):(\d{2}):(\d{2}) ([+-])(\d{2})(\d{2})\] "((?:[^"\\]|\\.)*)" (\d{3}) (?:\d+|-)(?: "(?:[^"\\]|\\.)*" "(?:[^"\\]|\\.)*")?.*$/;
const monthIndex: Record<string, number> = { Jan: 0, Feb: 1, Mar: 2, Apr: 3, May: 4, Jun: 5, Jul: 6, Aug: 7, Sep: 8, Oct: 9, Nov: 10, Dec: 11 };

export interface AccessEntry {
  at: Micros;
  client: string;
  /** The request path without its query string; `(no path)` when the request line has none. */
  path: string;
  status: number;
}

/** One line, or null when it is not a Common/Combined Log Format line. */
export function parseAccessLine(line: string): AccessEntry | null {
  const m = linePattern.exec(line);
  if (!m) return null;
  const [, client = '', , monthName = '', , , , , , , , request = ''] = m;
  const month = monthIndex[monthName];
  if (month === undefined) return null;
  const offset = (m[8] === '-' ? -1 : 1) * (Number(m[9]) * 60 + Number(m[10]));
  const ms = Date.UTC(Number(m[4]), month, Number(m[2]), Number(m[5]), Number(m[6]), Number(m[7])) - offset * 60_000;
  if (new Date(Date.UTC(Number(m[4]), month, Number(m[2]))).getUTCDate() !== Number(m[2])) return null;
  const [, target = ''] = request.split(' ');
  const [beforeQuery = ''] = target.split('?');
  const path = target === '' ? '(no path)' : beforeQuery;
  return { at: ms * 1000, client, path, status: Number(m[12]) };
}

export type ErrorClass = '401' | '403' | '404' | '5xx';
export const errorClasses: readonly ErrorClass[] = ['401', '403', '404', '5xx'];

function classOf(status: number): ErrorClass | null {
  if (status === 401 || status === 403 || status === 404) return String(status) as ErrorClass;
  return status >= 500 && status <= 599 ? '5xx' : null;
}

export interface ErrorCounts {
  key: string;
  total: number;
  counts: Record<ErrorClass, number>;
}

export interface AccessSummary {
  files: string[];
  lines: number;
  /** Lines not in the log format: skipped and counted. */
  malformed: number;
  /** Requests in the period. */
  requests: number;
  errors: Record<ErrorClass, number>;
  byClient: ErrorCounts[];
  byPath: ErrorCounts[];
}

const emptyCounts = (): Record<ErrorClass, number> => ({ '401': 0, '403': 0, '404': 0, '5xx': 0 });

export class AccessLogSummarizer {
  private readonly summary: AccessSummary = { files: [], lines: 0, malformed: 0, requests: 0, errors: emptyCounts(), byClient: [], byPath: [] };
  private readonly clients = new Map<string, ErrorCounts>();
  private readonly paths = new Map<string, ErrorCounts>();

  constructor(private readonly since: Micros | null, private readonly until: Micros | null) {}

  addFile(name: string, text: string): number {
    this.summary.files.push(name);
    let malformed = 0;
    for (const raw of text.split('\n')) {
      const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
      if (line === '') continue;
      this.summary.lines++;
      const e = parseAccessLine(line);
      if (e === null) {
        malformed++;
        continue;
      }
      if ((this.since !== null && e.at < this.since) || (this.until !== null && e.at > this.until)) continue;
      this.summary.requests++;
      const c = classOf(e.status);
      if (c === null) continue;
      this.summary.errors[c]++;
      for (const [map, key] of [[this.clients, e.client], [this.paths, e.path]] as const) {
        let entry = map.get(key);
        if (!entry) map.set(key, (entry = { key, total: 0, counts: emptyCounts() }));
        entry.total++;
        entry.counts[c]++;
      }
    }
    this.summary.malformed += malformed;
    return malformed;
  }

  result(top = 10): AccessSummary {
    const rank = (m: Map<string, ErrorCounts>) => [...m.values()].sort((a, b) => b.total - a.total || (a.key < b.key ? -1 : 1)).slice(0, top);
    return { ...this.summary, byClient: rank(this.clients), byPath: rank(this.paths) };
  }
}
