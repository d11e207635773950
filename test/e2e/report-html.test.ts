// The HTML report in a real browser (Debian's chromium, headless, no network): the page renders
// (a screenshot is taken), and the charts' SVG elements are in the DOM the browser built.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { inflateSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { renderHtml } from '../../src/report/render.ts';
import { buildReport } from '../../src/report/report.ts';
import { reportCorpus } from '../fixtures/report-corpus.ts';
import { missing } from '../helpers/require.ts';

const lacking = missing({ commands: ['/usr/bin/chromium'] });

describe.skipIf(lacking)('the HTML report in headless Chromium', () => {
  const dir = mkdtempSync(`${tmpdir()}/ls-report-html-`);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
    writeFileSync(`${dir}/report.html`, renderHtml(buildReport(reportCorpus())));
  const chromium = (args: string[]) =>
    spawnSync('/usr/bin/chromium', [
      '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', `--user-data-dir=${dir}/profile`, ...args, `file://${dir}/report.html`,
    ], { encoding: 'utf8', timeout: 60_000 });

  it('builds the charts with a bar per day and series, and a point per 6 hours', () => {
    const r = chromium(['--dump-dom']);
    expect(r.status, r.stderr.slice(-500)).toBe(0);
    const dom = r.stdout;
    const daily = /<svg id="daily-chart"[\s\S]*?<\/svg>/.exec(dom)?.[0] ?? '';
    const concurrency = /<svg id="concurrency-chart"[\s\S]*?<\/svg>/.exec(dom)?.[0] ?? '';
    expect(daily.match(/<rect class="bar login"/g)).toHaveLength(7);
    expect(daily.match(/<rect class="bar failure"/g)).toHaveLength(7);
    expect(concurrency.match(/<circle class="point"/g)).toHaveLength(28);
    expect(concurrency).toMatch(/<polyline class="line" points="(?:[\d.]+,[\d.]+ ){27}[\d.]+,[\d.]+"/);
    // The tallest failure bar is the 6 failures of 2026-11-15, full height.
    expect(daily).toMatch(/<rect class="bar failure" [^>]*height="170\.0"><title>2026-11-15: 6 failed logins<\/title>/);
    expect(dom).toContain('carol&lt;script&gt;');
  });

  it('renders a page that is not blank (screenshot)', () => {
    const r = chromium([`--screenshot=${dir}/report.png`, '--window-size=900,1400', '--hide-scrollbars']);
    expect(r.status, r.stderr.slice(-500)).toBe(0);
    const png = readFileSync(`${dir}/report.png`);
    expect(png.subarray(0, 8).toString('hex')).toBe('89504e470d0a1a0a');
    expect([png.readUInt32BE(16), png.readUInt32BE(20)]).toEqual([900, 1400]);
    // Decode the image data and count the colours: a blank page has one, the report many.
    const chunks: Buffer[] = [];
    for (let at = 8; at < png.length; ) {
      const length = png.readUInt32BE(at);
      if (png.toString('latin1', at + 4, at + 8) === 'IDAT') chunks.push(png.subarray(at + 8, at + 8 + length));
      at += 12 + length;
    }
    const colours = pixelColours(inflateSync(Buffer.concat(chunks)), 900, 1400, png[25] === 6 ? 4 : 3);
    console.log(`screenshot ${dir}/report.png: ${png.length} bytes, ${colours.size} colours`);
    expect(colours.size).toBeGreaterThan(50);
    // The bars' colours (#3b7dd8 logins, #d8453b failures) are on the page.
    expect(colours.has(0x3b7dd8)).toBe(true);
    expect(colours.has(0xd8453b)).toBe(true);
  });
});

/** The colours of an 8-bit RGB(A) PNG's pixels, its rows unfiltered (PNG spec, section 9). */
function pixelColours(raw: Buffer, width: number, height: number, channels: number): Set<number> {
  const stride = width * channels;
  const rows: Buffer[] = [];
  let previous = Buffer.alloc(stride);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)] as number;
    const line = Buffer.from(raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1)));
    for (let i = 0; i < stride; i++) {
      const a = i >= channels ? (line[i - channels] as number) : 0;
      const b = previous[i] as number;
      const c = i >= channels ? (previous[i - channels] as number) : 0;
      const p = a + b - c;
      const paeth = Math.abs(p - a) <= Math.abs(p - b) && Math.abs(p - a) <= Math.abs(p - c) ? a : Math.abs(p - b) <= Math.abs(p - c) ? b : c;
      const add = [0, a, b, (a + b) >> 1, paeth][filter] as number;
      line[i] = ((line[i] as number) + add) & 0xff;
    }
    rows.push(line);
    previous = line;
  }
  const colours = new Set<number>();
  for (const line of rows) for (let x = 0; x < width; x++) colours.add(((line[x * channels] as number) << 16) | ((line[x * channels + 1] as number) << 8) | (line[x * channels + 2] as number));
  return colours;
}
