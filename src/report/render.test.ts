import { describe, expect, it } from 'vitest';
import type { Alert } from '../alerts/engine.ts';
import { reportCorpus } from '../../test/fixtures/report-corpus.ts';
import { renderHtml } from './render.ts';
import { buildReport } from './report.ts';

const alertAt = (ts: string, severity: Alert['severity'], message: string): Alert => ({
  schema: 'logsphere-alert/1', alert_id: `${ts}-${severity}`, rule: 'root_login', type: 'root_login', severity, ts, host: 'web1', user: 'root', rhost: null,
  message,
} as Alert);

describe('renderHtml()', () => {
  it('puts the report at a glance first: its counts and its most severe alert, critical alerts listed first', () => {
    const input = reportCorpus();
    const alerts = [
      alertAt('2026-11-19T10:00:00.000000Z', 'warning', 'newest warning'),
      alertAt('2026-11-16T08:00:00.000000Z', 'critical', 'older critical'),
      ...input.alerts,
    ];
    const report = buildReport({ ...input, alerts });
    expect(report.recent_alerts.map((a) => a.severity)).toEqual(['critical', 'warning', 'warning']);
    const page = renderHtml(report);
    const status = /<div class="status (\w+)" id="status">(.*?)<\/div>/.exec(page);
    expect(status?.[1]).toBe('critical');
    expect(status?.[2]).toContain(`${report.totals.sessions} sessions, ${report.totals.failures} failed logins, 3 alerts`);
    expect(status?.[2]).toContain('older critical');
    expect(page.indexOf('older critical')).toBeLessThan(page.indexOf('newest warning'));
  });

  it('shows times to the second in the report\'s zone, the instant kept in the markup', () => {
    const input = reportCorpus();
    const page = renderHtml(buildReport({ ...input, zone: 'Asia/Kathmandu' }));
    // 03:00:04 UTC is 08:45:04 in Kathmandu (UTC+05:45).
    expect(page).toContain('<time datetime="2026-11-15T03:00:04.000000Z">2026-11-15 08:45:04</time>');
    expect(page).toContain('(Asia/Kathmandu)');
    const calm = renderHtml(buildReport({ ...input, alerts: [] }));
    expect(/<div class="status (\w+)"/.exec(calm)?.[1]).toBe('ok');
  });
});
