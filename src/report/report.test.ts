import { describe, expect, it } from 'vitest';
import { AccessLogSummarizer, parseAccessLine } from './access-log.ts';
import { renderHtml, renderMarkdown, renderText } from './render.ts';
import { buildReport, periodSessionsOf } from './report.ts';
import { reportCorpus, reportCorpusSessions } from '../../test/fixtures/report-corpus.ts';


describe('buildReport() on a fixed week', () => {
  const report = buildReport(reportCorpus());

  it('counts sessions, time, ends and the peak of concurrent sessions', () => {
    expect(report.totals).toEqual({
      sessions: 5, users: 3, session_s: 3600 + 9000 + 7200 + 900 + 57600, longest_s: 57600, failures: 8, alerts: 1,
      crashes: 1, gone: 0, still_open: 0, peak_concurrent: 2, peak_at: '2026-11-14T09:30:00.000000Z',
    });
    expect(report.ends).toEqual({ logout: 4, down: 0, crash: 1, gone: 0, open: 0 });
    expect(report.by_user[0]).toEqual({ user: 'alice', sessions: 3, total_s: 11700, longest_s: 7200, hosts: 2 });
    expect(report.by_host.map((h) => [h.host, h.sessions, h.users, h.crashes])).toEqual([['web1', 4, 3, 1], ['db1', 1, 1, 0]]);
  });

  it('takes a session that begins as another ends as following it, not beside it', () => {
    const at = (hhmm: string) => Date.parse(`2026-11-14T${hhmm}:00Z`) * 1000;
    const session = (user: string, from: string, to: string) => ({ user, host: 'web1', end: 'logout' as const, loginAt: at(from), endAt: at(to) });
    const input = { ...reportCorpus(), failures: [], alerts: [], since: at('00:00'), until: at('23:00') };
    const chain = buildReport({ ...input, sessions: periodSessionsOf([session('a', '09:00', '10:00'), session('b', '10:00', '11:00'), session('c', '11:00', '12:00')]) });
    expect([chain.totals.peak_concurrent, chain.totals.peak_at]).toEqual([1, '2026-11-14T09:00:00.000000Z']);
    const overlap = buildReport({ ...input, sessions: periodSessionsOf([session('a', '09:00', '10:00'), session('b', '10:00', '11:00'), session('c', '09:30', '10:30'), session('d', '10:15', '10:20')]) });
    expect([overlap.totals.peak_concurrent, overlap.totals.peak_at]).toEqual([3, '2026-11-14T10:15:00.000000Z']);
    // Hourly points over the day: the most open at once within each hour.
    expect(overlap.concurrency.points.slice(8, 12).map((p) => p.sessions)).toEqual([0, 2, 3, 0]);
  });

  it('adds weekly series over a period longer than a month, and none over a week', () => {
    expect('weekly' in report).toBe(false);
    const corpus = reportCorpus();
    const at = (iso: string) => Date.parse(iso) * 1000;
    const long = buildReport({
      ...corpus,
      sessions: periodSessionsOf([...reportCorpusSessions(), { user: 'dave', host: 'web1', end: 'logout', loginAt: at('2026-11-30T10:00:00Z'), endAt: at('2026-11-30T11:00:00Z') }]),
      until: at('2026-12-19T00:00:00Z'),
      now: at('2026-12-19T06:00:00Z'),
    });
    expect(long.weekly).toEqual({
      weeks: ['2026-11-14', '2026-11-21', '2026-11-28', '2026-12-05', '2026-12-12'].map((d) => `${d}T00:00:00.000000Z`),
      logins: [5, 0, 1, 0, 0],
      distinct_users: [3, 0, 1, 0, 0],
      failures: [8, 0, 0, 0, 0],
      peak_concurrent: [2, 0, 1, 0, 0],
      logins_by_host: [{ key: 'web1', counts: [4, 0, 1, 0, 0] }, { key: 'db1', counts: [1, 0, 0, 0, 0] }],
      logins_by_user: [{ key: 'alice', counts: [3, 0, 0, 0, 0] }, { key: 'bob', counts: [1, 0, 0, 0, 0] }, { key: 'carol<script>', counts: [1, 0, 0, 0, 0] }, { key: 'dave', counts: [0, 0, 1, 0, 0] }],
      failures_by_rhost: [{ key: '203.0.113.7', counts: [6, 0, 0, 0, 0] }, { key: '198.51.100.1', counts: [2, 0, 0, 0, 0] }],
    });
    const text = renderText(long);
    expect(text).toContain('Weekly trends\n  week from   logins  users  failures  peak\n  2026-11-14       5      3         8     2\n');
    expect(text).toContain('Logins per week by host (top 10)\n  host  total  per week\n  web1      5  4 0 1 0 0\n');
    const page = renderHtml(long);
    expect(page).toContain('<svg id="weekly-chart"');
    expect(page.match(/<circle class="point logins"/g)).toHaveLength(5);
    expect(page).toContain('carol&#60;script&#62;');
    expect(page).not.toContain('carol<script>');
  });

  it('ranks failures by rhost and user and counts alerts by rule', () => {
    expect(report.failures_by_rhost.map((f) => [f.key, f.count, f.distinct])).toEqual([['203.0.113.7', 6, 1], ['198.51.100.1', 2, 1]]);
    expect(report.failures_by_user.map((f) => [f.key, f.count])).toEqual([['root', 6], ['admin', 2]]);
    expect(report.alerts_by_rule).toEqual([{ rule: 'failures_by_rhost', severity: 'warning', count: 1 }]);
  });

  it('has a row per day and a point per 6 hours', () => {
    expect(report.daily).toEqual([
      { date: '2026-11-14', logins: 2, failures: 0 }, { date: '2026-11-15', logins: 1, failures: 6 }, { date: '2026-11-16', logins: 1, failures: 2 },
      { date: '2026-11-17', logins: 1, failures: 0 }, { date: '2026-11-18', logins: 0, failures: 0 }, { date: '2026-11-19', logins: 0, failures: 0 },
      { date: '2026-11-20', logins: 0, failures: 0 },
    ]);
    expect(report.concurrency.bucket_s).toBe(21600);
    expect(report.concurrency.points).toHaveLength(28);
    // bob's session ends at 12:00, as the third point begins: it is not open in it.
    expect(report.concurrency.points.slice(0, 4).map((p) => p.sessions)).toEqual([0, 2, 0, 0]);
    expect(report.concurrency.points[13]).toEqual({ t: '2026-11-17T06:00:00.000000Z', sessions: 1 });
  });

  it('renders text with aligned tables', () => {
    const text = renderText(report);
    expect(text).toContain('Sessions: 5 by 3 users, 21:45:00 in all, longest 16:00:00\n');
    expect(text).toContain('Peak concurrent sessions: 2 at 2026-11-14T09:30:00Z\n');
    expect(text).toContain('Ends: 4 logout, 0 down, 1 crash, 0 gone, 0 still open\n');
    expect(text).toContain('  from          failures  users  first seen           last seen\n  203.0.113.7          6      1  2026-11-15T03:00:00  2026-11-15T03:00:05\n');
    expect(text).toContain('  2026-11-15T03:00:04Z  warning  failures_by_rhost: 5 failed logins from 203.0.113.7 within 10m on web1\n');
  });

  it('fits text to the width of a terminal: names cut, numbers kept, long lines wrapped under themselves', () => {
    const full = renderText(report);
    const fitted = renderText(report, 70);
    expect(full.split('\n').some((l) => [...l].length > 70)).toBe(true);
    for (const line of fitted.split('\n')) expect([...line].length, line).toBeLessThanOrEqual(70);
    expect(fitted).toContain('  from       failures  users  first seen           last seen\n  203.0.11…         6      1  2026-11-15T03:00:00  2026-11-15T03:00:05\n');
    expect(fitted).toContain('Sessions: 5 by 3 users, 21:45:00 in all, longest 16:00:00\n');
    // The alert's text goes on under itself, after its time and severity.
    expect(fitted).toContain('  2026-11-15T03:00:04Z  warning  failures_by_rhost: 5 failed logins\n' + ' '.repeat(33) + 'from 203.0.113.7 within 10m on web1\n');
    expect(renderText(report, 200)).toBe(full);
  });

  it('renders markdown tables with escaped cells', () => {
    const md = renderMarkdown(report);
    expect(md).toContain('## Sessions by user\n\n| user | sessions | hosts | total time | longest |\n| --- | ---: | ---: | ---: | ---: |\n| alice | 3 | 2 | 03:15:00 | 02:00:00 |\n');
    expect(md).toContain('| carol\\<script\\> | 1 | 1 | 16:00:00 | 16:00:00 |');
  });

  it('renders HTML with no script, no external resource, and the untrusted name escaped', () => {
    const html = renderHtml(report);
    expect(html).not.toMatch(/<script|https?:\/\/(?!www\.w3\.org\/2000\/svg)|src=|<link/);
    expect(html).toContain('carol&#60;script&#62;');
    expect(html.match(/<rect class="bar login"/g)).toHaveLength(7);
    expect(html.match(/<rect class="bar failure"/g)).toHaveLength(7);
    expect(html.match(/<circle class="point"/g)).toHaveLength(28);
  });
});

describe('access logs', () => {
  it('reads Combined and Common Log Format lines with their offsets', () => {
    expect(parseAccessLine('203.0.113.5 - - [20/Nov/2026:10:00:00 +0100] "GET /admin?x=1 HTTP/1.1" 401 12 "-" "curl/8.0"')).toEqual({ at: Date.UTC(2026, 10, 20, 9) * 1000, client: '203.0.113.5', path: '/admin', status: 401 });
    expect(parseAccessLine('::1 - frank [10/Oct/2000:13:55:36 -0700] "GET /apache_pb.gif HTTP/1.0" 200 2326')).toMatchObject({ client: '::1', status: 200 });
    expect(parseAccessLine('198.51.100.9 - - [20/Nov/2026:10:00:00 +0000] "\\x16\\x03\\x01" 400 157 "-" "-"')).toMatchObject({ path: '(no path)', status: 400 });
    for (const bad of ['', 'garbage', '1.2.3.4 - - [31/Feb/2026:10:00:00 +0000] "GET / HTTP/1.1" 200 1', '1.2.3.4 - - [20/Nov/2026:10:00:00 +0000] "GET / HTTP/1.1" abc 1']) {
      expect(parseAccessLine(bad), bad).toBeNull();
    }
  });

  it('counts 401, 403, 404 and 5xx per client and path in the period, and malformed lines', () => {
    const s = new AccessLogSummarizer(Date.UTC(2026, 10, 20) * 1000, null);
    const line = (ip: string, path: string, status: number, day = 20) => `${ip} - - [${day}/Nov/2026:10:00:00 +0000] "GET ${path} HTTP/1.1" ${status} 1 "-" "ua"`;
    const bad = s.addFile('a.log', [line('10.0.0.1', '/a', 404), line('10.0.0.1', '/a', 404), line('10.0.0.2', '/b', 503), line('10.0.0.2', '/b', 200), line('10.0.0.3', '/c', 403, 19), 'junk', ''].join('\n'));
    expect(bad).toBe(1);
    const r = s.result();
    expect(r).toMatchObject({ lines: 6, malformed: 1, requests: 4, errors: { '401': 0, '403': 0, '404': 2, '5xx': 1 } });
    expect(r.byClient).toEqual([{ key: '10.0.0.1', total: 2, counts: { '401': 0, '403': 0, '404': 2, '5xx': 0 } }, { key: '10.0.0.2', total: 1, counts: { '401': 0, '403': 0, '404': 0, '5xx': 1 } }]);
    expect(r.byPath.map((p) => p.key)).toEqual(['/a', '/b']);
  });
});
