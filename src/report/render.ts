// The report as text (a terminal or a mail body), markdown, and one self-contained HTML file with
// inline SVG charts (no script, no external resource: it opens in a browser without network).
// Values from records are untrusted: escaped for the terminal, for markdown tables and for HTML.

import { plain, type Paint } from '../text/colour.ts';
import { fitColumns } from '../text/table.ts';
import { cut, escapeText } from '../text/terminal.ts';
import { wrapHanging } from '../text/wrap.ts';
import { errorClasses, type AccessSummary, type ErrorCounts } from './access-log.ts';
import type { Report, WeeklySeries, WeeklyTrends } from './report.ts';

/** `3d 04:10:05`, `04:10:05`. */
export function hms(seconds: number): string {
  const s = Math.floor(seconds);
  const d = Math.floor(s / 86400);
  const t = `${String(Math.floor((s % 86400) / 3600)).padStart(2, '0')}:${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}`;
  return d > 0 ? `${d}d ${t}` : t;
}

interface Table {
  title: string;
  head: string[];
  /** Columns aligned right (numbers). */
  right: boolean[];
  rows: string[][];
}

const safe = (v: string | null) => escapeText(v ?? '-');

function tables(r: Report): Table[] {
  const t: Table[] = [
    {
      title: 'Sessions by user',
      head: ['user', 'sessions', 'hosts', 'total time', 'longest'],
      right: [false, true, true, true, true],
      rows: r.by_user.map((u) => [safe(u.user), String(u.sessions), String(u.hosts), hms(u.total_s), hms(u.longest_s)]),
    },
    {
      title: 'Sessions by host',
      head: ['host', 'sessions', 'users', 'total time', 'longest', 'crash', 'gone'],
      right: [false, true, true, true, true, true, true],
      rows: r.by_host.map((h) => [safe(h.host), String(h.sessions), String(h.users), hms(h.total_s), hms(h.longest_s), String(h.crashes), String(h.gone)]),
    },
    {
      title: 'Failed logins by remote host (top 10)',
      head: ['from', 'failures', 'users', 'first seen', 'last seen'],
      right: [false, true, true, false, false],
      rows: r.failures_by_rhost.map((f) => [safe(f.key), String(f.count), String(f.distinct), f.first_seen.slice(0, 19), f.last_seen.slice(0, 19)]),
    },
    {
      title: 'Failed logins by user (top 10)',
      head: ['user', 'failures', 'from', 'first seen', 'last seen'],
      right: [false, true, true, false, false],
      rows: r.failures_by_user.map((f) => [safe(f.key), String(f.count), String(f.distinct), f.first_seen.slice(0, 19), f.last_seen.slice(0, 19)]),
    },
    {
      title: 'Alerts fired',
      head: ['rule', 'severity', 'alerts'],
      right: [false, false, true],
      rows: r.alerts_by_rule.map((a) => [safe(a.rule), a.severity, String(a.count)]),
    },
    {
      title: 'Logins and failures per day',
      head: ['date', 'logins', 'failures'],
      right: [false, true, true],
      rows: r.daily.map((d) => [d.date, String(d.logins), String(d.failures)]),
    },
  ];
  if (r.weekly !== undefined) t.push(...weeklyTables(r.weekly));
  if (r.access !== null) t.push(...accessTables(r.access));
  return t;
}

/** The weekly series as tables: a row per week, and each of the top ten's counts week by week. */
function weeklyTables(w: WeeklyTrends): Table[] {
  const series = (title: string, first: string, list: WeeklySeries[]): Table => ({
    title,
    head: [first, 'total', 'per week'],
    right: [false, true, false],
    rows: list.map((x) => [safe(x.key), String(x.counts.reduce((a, b) => a + b, 0)), x.counts.join(' ')]),
  });
  return [
    {
      title: 'Weekly trends',
      head: ['week from', 'logins', 'users', 'failures', 'peak'],
      right: [false, true, true, true, true],
      rows: w.weeks.map((week, i) => [week.slice(0, 10), String(w.logins[i]), String(w.distinct_users[i]), String(w.failures[i]), String(w.peak_concurrent[i])]),
    },
    series('Logins per week by host (top 10)', 'host', w.logins_by_host),
    series('Logins per week by user (top 10)', 'user', w.logins_by_user),
    series('Failed logins per week by remote host (top 10)', 'from', w.failures_by_rhost),
  ];
}

function accessTables(a: AccessSummary): Table[] {
  const rows = (list: ErrorCounts[]) => list.map((e) => [safe(e.key), String(e.total), ...errorClasses.map((c) => String(e.counts[c]))]);
  const head = (first: string) => [first, 'errors', ...errorClasses];
  const right = [false, true, true, true, true, true];
  return [
    { title: 'Web-server errors by client (top 10)', head: head('client'), right, rows: rows(a.byClient) },
    { title: 'Web-server errors by path (top 10)', head: head('path'), right, rows: rows(a.byPath) },
  ];
}

function summaryLines(r: Report): string[] {
  const t = r.totals;
  const lines = [
    `Period: ${r.since} to ${r.until}${r.hosts.length > 0 ? ` — hosts: ${r.hosts.map(safe).join(', ')}` : ''}`,
    `Sessions: ${t.sessions} by ${t.users} user${t.users === 1 ? '' : 's'}, ${hms(t.session_s)} in all, longest ${hms(t.longest_s)}`,
    `Peak concurrent sessions: ${t.peak_concurrent}${t.peak_at === null ? '' : ` at ${t.peak_at.slice(0, 19)}Z`}`,
    `Ends: ${r.ends.logout} logout, ${r.ends.down} down, ${r.ends.crash} crash, ${r.ends.gone} gone, ${r.ends.open} still open`,
    `Failed logins: ${t.failures}; alerts fired: ${t.alerts}`,
  ];
  if (r.access !== null) {
    const a = r.access;
    lines.push(`Web-server requests: ${a.requests} in ${a.files.length} file${a.files.length === 1 ? '' : 's'}; ${errorClasses.map((c) => `${a.errors[c]} × ${c}`).join(', ')}${a.malformed > 0 ? `; ${a.malformed} lines not in the log format` : ''}`);
  }
  return lines;
}

/**
 * The report as text. `width` is the terminal's when it is printed there: the tables' text columns
 * give way (cut with `…`) and long lines wrap, so that it fits; a mail or a file has no width.
 */
export function renderText(r: Report, width = Infinity, paint: Paint = plain): string {
  const wrap = (first: string, text: string, indent: number) => (width === Infinity ? [first + text] : wrapHanging(first, text, indent, width));
  let out = `${paint('LogSphere security report', 'heading')}\n\n${summaryLines(r).flatMap((l) => wrap('', l, 2)).join('\n')}\n`;
  for (const t of tables(r)) {
    out += `\n${paint(t.title, 'heading')}\n`;
    if (t.rows.length === 0) {
      out += '  (none)\n';
      continue;
    }
    const natural = t.head.map((h, i) => Math.max([...h].length, ...t.rows.map((row) => [...(row[i] as string)].length)));
    // Two spaces before the table and between its columns; the first column (names, addresses,
    // paths) gives way, numbers and times do not.
    const columns = t.head.map((title, i) => ({ title, ...(i === 0 ? { min: Math.min(8, natural[0] as number) } : {}) }));
    const widths = width === Infinity ? natural : fitColumns(columns, natural, width - 2 - (t.head.length - 1));
    const line = (cells: string[]) =>
      `  ${cells.map((c, i) => (t.right[i] ? c.padStart(widths[i] as number) : cut(c, widths[i] as number).padEnd(widths[i] as number))).join('  ').trimEnd()}\n`;
    out += line(t.head);
    for (const row of t.rows) out += line(row);
  }
  if (r.recent_alerts.length > 0) {
    out += `\n${paint('Recent alerts', 'heading')}\n`;
    for (const a of r.recent_alerts) out += `${wrap(`  ${a.ts.slice(0, 19)}Z  ${a.severity.padEnd(8)} `, `${safe(a.rule)}: ${safe(a.message)}`, 33).join('\n')}\n`;
  }
  for (const w of r.warnings) out += `\n${wrap('warning: ', safe(w), 2).join('\n')}`;
  return r.warnings.length > 0 ? `${out}\n` : out;
}

const mdCell = (text: string) => text.replace(/[|\\`*_[\]<>]/g, (c) => `\\${c}`);

export function renderMarkdown(r: Report): string {
  let out = `# LogSphere security report\n\n${summaryLines(r).map((l) => `- ${mdCell(l)}`).join('\n')}\n`;
  for (const t of tables(r)) {
    out += `\n## ${t.title}\n\n`;
    if (t.rows.length === 0) {
      out += '_none_\n';
      continue;
    }
    out += `| ${t.head.map(mdCell).join(' | ')} |\n|${t.right.map((right) => (right ? ' ---: |' : ' --- |')).join('')}\n`;
    for (const row of t.rows) out += `| ${row.map(mdCell).join(' | ')} |\n`;
  }
  if (r.recent_alerts.length > 0) {
    out += '\n## Recent alerts\n\n';
    for (const a of r.recent_alerts) out += `- ${a.ts.slice(0, 19)}Z **${a.severity}** ${mdCell(safe(a.rule))}: ${mdCell(safe(a.message))}\n`;
  }
  for (const w of r.warnings) out += `\n> warning: ${mdCell(safe(w))}\n`;
  return out;
}

const html = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** Logins and failures per day: two bars per day (class `bar login` / `bar failure`). */
function dailyChart(r: Report): string {
  const w = 760;
  const h = 220;
  const left = 40;
  const bottom = 30;
  const n = Math.max(1, r.daily.length);
  const max = Math.max(1, ...r.daily.map((d) => Math.max(d.logins, d.failures)));
  const slot = (w - left - 10) / n;
  const barW = Math.max(1, slot * 0.38);
  const y = (v: number) => h - bottom - (v / max) * (h - bottom - 20);
  let bars = '';
  r.daily.forEach((d, i) => {
    const x = left + i * slot + slot * 0.1;
    bars += `<rect class="bar login" x="${x.toFixed(1)}" y="${y(d.logins).toFixed(1)}" width="${barW.toFixed(1)}" height="${(h - bottom - y(d.logins)).toFixed(1)}"><title>${d.date}: ${d.logins} logins</title></rect>`;
    bars += `<rect class="bar failure" x="${(x + barW).toFixed(1)}" y="${y(d.failures).toFixed(1)}" width="${barW.toFixed(1)}" height="${(h - bottom - y(d.failures)).toFixed(1)}"><title>${d.date}: ${d.failures} failed logins</title></rect>`;
    if (n <= 16 || i % Math.ceil(n / 16) === 0) bars += `<text x="${(x + barW).toFixed(1)}" y="${h - bottom + 14}" text-anchor="middle">${d.date.slice(5)}</text>`;
  });
  return `<svg id="daily-chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${w} ${h}" width="${w}" height="${h}" role="img" aria-label="Logins and failed logins per day">
<line class="axis" x1="${left}" y1="${h - bottom}" x2="${w - 10}" y2="${h - bottom}"/><text x="${left - 6}" y="${y(max) + 4}" text-anchor="end">${max}</text><text x="${left - 6}" y="${h - bottom}" text-anchor="end">0</text>
${bars}
<rect class="legend login" x="${w - 200}" y="6" width="10" height="10"/><text x="${w - 186}" y="15">logins</text><rect class="legend failure" x="${w - 120}" y="6" width="10" height="10"/><text x="${w - 106}" y="15">failed logins</text>
</svg>`;
}

/** Concurrent sessions over time: one point (class `point`) per bucket on a step line. */
function concurrencyChart(r: Report): string {
  const w = 760;
  const h = 200;
  const left = 40;
  const bottom = 24;
  const points = r.concurrency.points;
  const max = Math.max(1, ...points.map((p) => p.sessions));
  const step = (w - left - 10) / Math.max(1, points.length);
  const x = (i: number) => left + i * step + step / 2;
  const y = (v: number) => h - bottom - (v / max) * (h - bottom - 16);
  const coords = points.map((p, i) => `${x(i).toFixed(1)},${y(p.sessions).toFixed(1)}`).join(' ');
  const dots = points.map((p, i) => `<circle class="point" cx="${x(i).toFixed(1)}" cy="${y(p.sessions).toFixed(1)}" r="2"><title>${p.t.slice(0, 16)}Z: ${p.sessions}</title></circle>`).join('');
  return `<svg id="concurrency-chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${w} ${h}" width="${w}" height="${h}" role="img" aria-label="Concurrent sessions over time">
<line class="axis" x1="${left}" y1="${h - bottom}" x2="${w - 10}" y2="${h - bottom}"/><text x="${left - 6}" y="${y(max) + 4}" text-anchor="end">${max}</text><text x="${left - 6}" y="${h - bottom}" text-anchor="end">0</text>
<polyline class="line" points="${coords}"/>${dots}
<text x="${left}" y="${h - 6}">${html(r.since.slice(0, 16))}Z</text><text x="${w - 10}" y="${h - 6}" text-anchor="end">${html(r.until.slice(0, 16))}Z</text>
</svg>`;
}

/** Weekly series as lines (class `line <name>`), one point per week: logins, failed logins, distinct users, peak concurrency. */
function weeklyChart(w: WeeklyTrends): string {
  const width = 760;
  const h = 240;
  const left = 40;
  const bottom = 30;
  const lines: Array<[string, string, number[]]> = [
    ['logins', 'logins', w.logins],
    ['failures', 'failed logins', w.failures],
    ['users', 'distinct users', w.distinct_users],
    ['peak', 'peak concurrent sessions', w.peak_concurrent],
  ];
  const max = Math.max(1, ...lines.flatMap(([, , v]) => v));
  const step = (width - left - 10) / Math.max(1, w.weeks.length);
  const x = (i: number) => left + i * step + step / 2;
  const y = (v: number) => h - bottom - (v / max) * (h - bottom - 24);
  let body = '';
  lines.forEach(([name, label, values], k) => {
    body += `<polyline class="line ${name}" points="${values.map((v, i) => `${x(i).toFixed(1)},${y(v).toFixed(1)}`).join(' ')}"><title>${label}</title></polyline>`;
    body += values.map((v, i) => `<circle class="point ${name}" cx="${x(i).toFixed(1)}" cy="${y(v).toFixed(1)}" r="2"><title>week from ${html(w.weeks[i]?.slice(0, 10) ?? '')}: ${v} ${label}</title></circle>`).join('');
    body += `<rect class="legend ${name}" x="${left + k * 170}" y="4" width="10" height="10"/><text x="${left + 14 + k * 170}" y="13">${label}</text>`;
  });
  w.weeks.forEach((week, i) => {
    if (w.weeks.length <= 14 || i % Math.ceil(w.weeks.length / 14) === 0) body += `<text x="${x(i).toFixed(1)}" y="${h - bottom + 14}" text-anchor="middle">${html(week.slice(5, 10))}</text>`;
  });
  return `<svg id="weekly-chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${width} ${h}" width="${width}" height="${h}" role="img" aria-label="Weekly logins, failed logins, distinct users and peak concurrency">
<line class="axis" x1="${left}" y1="${h - bottom}" x2="${width - 10}" y2="${h - bottom}"/><text x="${left - 6}" y="${y(max) + 4}" text-anchor="end">${max}</text><text x="${left - 6}" y="${h - bottom}" text-anchor="end">0</text>
${body}
</svg>`;
}

/** An instant as a reader of the report reads it: to the second, in the report's zone. */
function localTime(iso: string, zone: string): string {
  const at = Date.parse(iso);
  if (Number.isNaN(at)) return iso;
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en-US', { timeZone: zone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit' })
      .formatToParts(new Date(at))
      .map((p) => [p.type, p.value]),
  );
  return `${parts['year']}-${parts['month']}-${parts['day']} ${parts['hour']}:${parts['minute']}:${parts['second']}`;
}

/** The report at a glance: its counts, and the most severe alert (they come most severe first). */
function status(r: Report): string {
  const worst = r.recent_alerts[0];
  const level = worst === undefined ? 'ok' : worst.severity === 'critical' ? 'critical' : worst.severity === 'warning' ? 'warning' : 'ok';
  const counts = `${r.totals.sessions} session${r.totals.sessions === 1 ? '' : 's'}, ${r.totals.failures} failed login${r.totals.failures === 1 ? '' : 's'}, ${r.totals.alerts} alert${r.totals.alerts === 1 ? '' : 's'}`;
  const alert = worst === undefined ? 'no alerts' : `worst: <span class="sev ${html(worst.severity)}">${html(worst.severity)}</span> ${html(safe(worst.message))}`;
  return `<div class="status ${level}" id="status"><b>${html(counts)}</b> — ${alert}</div>`;
}

export function renderHtml(r: Report): string {
  const section = (t: Table) => {
    if (t.rows.length === 0) return `<h2>${html(t.title)}</h2><p class="none">none</p>`;
    const cells = (row: string[], tag: 'td' | 'th') => row.map((c, i) => `<${tag}${t.right[i] ? ' class="num"' : ''}>${html(c)}</${tag}>`).join('');
    return `<h2>${html(t.title)}</h2><table><thead><tr>${cells(t.head, 'th')}</tr></thead><tbody>${t.rows.map((row) => `<tr>${cells(row, 'td')}</tr>`).join('')}</tbody></table>`;
  };
  const time = (iso: string) => `<time datetime="${html(iso)}">${html(localTime(iso, r.zone))}</time>`;
  const alerts = r.recent_alerts.length === 0 ? '' : `<h2>Alerts (most severe first)</h2><ul class="alerts">${r.recent_alerts.map((a) => `<li><span class="sev ${html(a.severity)}">${html(a.severity)}</span> ${time(a.ts)} <b>${html(safe(a.rule))}</b>: ${html(safe(a.message))}</li>`).join('')}</ul>`;
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>LogSphere security report ${html(r.since.slice(0, 10))} – ${html(r.until.slice(0, 10))}</title>
<style>
body{font:14px/1.45 system-ui,sans-serif;margin:2em auto;max-width:820px;color:#222;background:#fff}
h1{font-size:1.5em}h2{font-size:1.15em;margin-top:1.6em;border-bottom:1px solid #ddd}
table{border-collapse:collapse;width:100%}th,td{padding:3px 8px;text-align:left;border-bottom:1px solid #eee}
.num{text-align:right;font-variant-numeric:tabular-nums}.none{color:#777}
svg text{font-size:11px;fill:#444}.axis{stroke:#999}.bar.login,.legend.login{fill:#3b7dd8}.bar.failure,.legend.failure{fill:#d8453b}
.line{fill:none;stroke:#3b7dd8;stroke-width:1.5}.point{fill:#1d4f91}
.line.failures{stroke:#d8453b}.point.failures,.legend.failures{fill:#d8453b}.line.users{stroke:#2e7d32}.point.users,.legend.users{fill:#2e7d32}.line.peak{stroke:#8e44ad}.point.peak,.legend.peak{fill:#8e44ad}.legend.logins{fill:#3b7dd8}
.sev{display:inline-block;padding:0 6px;border-radius:3px;color:#fff;background:#777}.sev.critical{background:#b00020}.sev.warning{background:#d87a00}.sev.notice{background:#3b7dd8}
.status{padding:8px 12px;border-radius:4px;border-left:6px solid #2e7d32;background:#eef7ee}.status.warning{border-color:#d87a00;background:#fff5e6}.status.critical{border-color:#b00020;background:#fdecee}
</style></head><body>
<h1>LogSphere security report</h1>
${status(r)}
<p class="period">${time(r.since)} to ${time(r.until)} (${html(r.zone)})</p>
<ul class="summary">${summaryLines(r).map((l) => `<li>${html(l)}</li>`).join('')}</ul>
<h2>Logins and failed logins per day</h2>
${dailyChart(r)}
<h2>Concurrent sessions (most at once per ${r.concurrency.bucket_s / 3600} h)</h2>
${concurrencyChart(r)}
${r.weekly === undefined ? '' : `<h2>Weekly trends</h2>\n${weeklyChart(r.weekly)}`}
${tables(r).map(section).join('\n')}
${alerts}
${r.warnings.map((w) => `<p class="warning">warning: ${html(safe(w))}</p>`).join('')}
<p class="none">Generated ${time(r.generated_at)} (${html(r.zone)}) by logsphere report.</p>
</body></html>
`;
}
