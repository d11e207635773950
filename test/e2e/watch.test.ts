// logsphere watch as a process: alerts while the log grows and rotates, restarts (SIGTERM and
// SIGKILL) without a repeated or missing alert, webhook delivery to a real HTTP server, mail to a
// real SMTP server with STARTTLS and authentication, malformed rules and log lines.
import { execFileSync, spawnSync } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { SMTPServer } from 'smtp-server';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import * as build from '../../src/record/build.ts';
import { cliBundle, nodePath, requireBuilt } from '../helpers/paths.ts';
import { missing } from '../helpers/require.ts';
import { waitFor } from '../helpers/sshd.ts';
import { makeCertificate, parseMail, startMitm, startSmtpServer, type ReceivedMail, type TestSmtpServer } from '../helpers/smtp.ts';
import { runCli, startWatch, type WatchProcess } from '../helpers/watch.ts';

const origin = { host: 'web1', boot_id: '00000000-0000-4000-8000-000000000001', source: 'pam' } as const;
const t0 = Date.UTC(2026, 10, 20, 10, 0, 0) * 1000;
const login = (user: string, rhost: string): build.Login => ({ user, uid: null, tty: 'ssh', rhost, ruser: null, service: 'sshd', pid: 4000, pid_start: 9 });
const failLine = (i: number, rhost: string, user = 'root') => `${JSON.stringify(build.authFailure(origin, login(user, rhost), t0 + i * 1_000_000))}\n`;
const burst = (start: number, rhost: string, n = 5) => Array.from({ length: n }, (_, i) => failLine(start + i, rhost)).join('');
const rules = JSON.stringify({ rules: [{ type: 'failures_by_rhost', threshold: 5, window: '10m' }, { type: 'brute_force_success', threshold: 5, window: '1h' }] });

let dir: string;
const running: WatchProcess[] = [];
function setup() {
  dir = mkdtempSync(`${tmpdir()}/ls-watch-`);
  mkdirSync(`${dir}/log`);
  mkdirSync(`${dir}/state`);
  writeFileSync(`${dir}/rules.json`, rules);
  return { LOGSPHERE_LOG_DIR: `${dir}/log`, LOGSPHERE_STATE_DIR: `${dir}/state`, LOGSPHERE_RUN_DIR: `${dir}/run`, LOGSPHERE_CONFIG: '/dev/null', TZ: 'UTC' };
}
function watch(args: string[], env: Record<string, string>) {
  const w = startWatch(['--rules', `${dir}/rules.json`, ...args], env);
  running.push(w);
  return w;
}
const log = () => `${dir}/log/sessions.jsonl`;
const checkpoint = () => JSON.parse(readFileSync(`${dir}/state/watch.checkpoint.json`, 'utf8')) as { position: { offset: number } | null; pending: unknown[] };

beforeAll(() => requireBuilt());
afterEach(async () => {
  for (const w of running.splice(0)) await w.stop('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

describe('logsphere watch', () => {
  it('alerts on what is appended, across restarts and a rotation, each alert exactly once', async () => {
    const env = setup();
    writeFileSync(log(), burst(0, '192.0.2.100')); // the past: learned, not alerted
    let w = watch([], env);
    await waitFor('the first checkpoint', () => (existsSync(`${dir}/state/watch.checkpoint.json`) ? true : null));
    appendFileSync(log(), burst(1000, '192.0.2.1'));
    expect((await w.waitAlerts(1)).map((a) => a['rhost'])).toEqual(['192.0.2.1']);
    const seen = [...w.alerts()];

    // A clean stop (systemctl stop), records appended while it is down, a start.
    expect(await w.stop('SIGTERM')).toBe(0);
    appendFileSync(log(), burst(2000, '192.0.2.2'));
    w = watch([], env);
    seen.push(...(await w.waitAlerts(1)));

    // Half a burst read, then SIGKILL once the checkpoint holds it; the rest of the burst and a
    // rotation happen while it is down.
    appendFileSync(log(), burst(3000, '192.0.2.3', 3));
    const size = readFileSync(log()).length;
    await waitFor('the checkpoint to reach the end of the log', () => (checkpoint().position?.offset === size ? true : null));
    await w.stop('SIGKILL');
    appendFileSync(log(), burst(3003, '192.0.2.3', 2));
    renameSync(log(), `${dir}/log/sessions-20261120T100000Z.jsonl`);
    writeFileSync(log(), burst(4000, '192.0.2.4'));
    w = watch([], env);
    seen.push(...(await w.waitAlerts(2)));
    // Rotated while running.
    renameSync(log(), `${dir}/log/sessions-20261120T110000Z.jsonl`);
    writeFileSync(log(), burst(5000, '192.0.2.5'));
    seen.push(...(await w.waitAlerts(3)).slice(2));
    expect(await w.stop('SIGTERM')).toBe(0);

    expect(seen.map((a) => a['rhost'])).toEqual(['192.0.2.1', '192.0.2.2', '192.0.2.3', '192.0.2.4', '192.0.2.5']);
    expect(new Set(seen.map((a) => a['alert_id'])).size).toBe(5);
    // alerts.jsonl holds the same alerts, once each.
    const kept = readFileSync(`${dir}/state/alerts.jsonl`, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(kept.map((a) => a['alert_id'])).toEqual(seen.map((a) => a['alert_id']));
    expect(checkpoint().pending).toEqual([]);
  });

  it('with --from-start alerts on the whole log, and reports malformed lines and rules without stopping', () => {
    const env = setup();
    writeFileSync(`${dir}/rules.json`, JSON.stringify({ rules: [{ type: 'failures_by_rhost', threshold: 5, window: '10m' }, { type: 'root_login', ignore_rhosts: 'all' }, { type: 'nope' }] }));
    writeFileSync(log(), `${burst(0, '192.0.2.1', 2)}not json\n{"torn\n\u001b[2J\n${burst(2, '192.0.2.1', 3)}`);
    const r = spawnSync(nodePath, [cliBundle, 'watch', '--rules', `${dir}/rules.json`, '--from-start', '--once'], { env, encoding: 'utf8' });
    expect(r.status).toBe(0);
    expect(r.stdout.trim().split('\n').map((l) => JSON.parse(l).count)).toEqual([5]);
    expect(r.stderr).toContain('rule 2: "ignore_rhosts" must be an array of strings');
    expect(r.stderr).toContain('rule 3: "type" must be one of');
    expect(r.stderr).toContain('2 invalid rules left out');
    expect(r.stderr).toContain('skipped 3 malformed lines');
    // --check prints the good rules in the file's own syntax: pasted back, they check clean
    // and print the same again.
    const checked = spawnSync(nodePath, [cliBundle, 'watch', '--rules', `${dir}/rules.json`, '--check'], { env, encoding: 'utf8' });
    expect(JSON.parse(checked.stdout)).toEqual({ rules: [{ type: 'failures_by_rhost', name: 'failures_by_rhost', severity: 'warning', threshold: 5, window: '10m' }] });
    writeFileSync(`${dir}/again.json`, checked.stdout);
    const again = spawnSync(nodePath, [cliBundle, 'watch', '--rules', `${dir}/again.json`, '--check'], { env, encoding: 'utf8' });
    expect([again.status, again.stdout]).toEqual([0, checked.stdout]);
    // --check exits 1 on a bad rules file; a file with no good rule at all is an error.
    expect(spawnSync(nodePath, [cliBundle, 'watch', '--rules', `${dir}/rules.json`, '--check'], { env }).status).toBe(1);
    writeFileSync(`${dir}/rules.json`, '{"rules": [');
    const broken = spawnSync(nodePath, [cliBundle, 'watch', '--rules', `${dir}/rules.json`, '--once'], { env, encoding: 'utf8' });
    expect(broken.status).toBe(1);
    expect(broken.stderr).toMatch(/rules\.json: not JSON: .*\nlogsphere: No rule to run: .*rules\.json has no valid rule\n/);
  });
});

describe('logsphere watch and the service\'s checkpoint', () => {
  it('a run with --input or --once leaves the service\'s checkpoint alone, a missing input is an error naming it, --checkpoint NAME keeps one of its own', async () => {
    const env = setup();
    writeFileSync(log(), burst(0, '192.0.2.100'));
    // The service: learns the log, then is stopped.
    let w = watch([], env);
    await waitFor('the service\'s checkpoint', () => (existsSync(`${dir}/state/watch.checkpoint.json`) ? true : null));
    expect(await w.stop('SIGTERM')).toBe(0);
    const service = readFileSync(`${dir}/state/watch.checkpoint.json`, 'utf8');

    const missing = spawnSync(nodePath, [cliBundle, 'watch', '--rules', `${dir}/rules.json`, '--input', `${dir}/nonexistent`, '--once'], { env, encoding: 'utf8' });
    expect(missing.status).toBe(1);
    expect(missing.stderr).toBe(`logsphere: Cannot read ${dir}/nonexistent: no such file or directory\n`);
    // One-off runs of the same log: with no checkpoint they alert on the whole log.
    for (const args of [['--once'], ['--input', log(), '--once'], ['--input', `${dir}/log`, '--once', '--from-start']]) {
      const r = spawnSync(nodePath, [cliBundle, 'watch', '--rules', `${dir}/rules.json`, ...args], { env, encoding: 'utf8' });
      expect(r.status, r.stderr).toBe(0);
      expect(r.stdout.trim().split('\n').map((l) => JSON.parse(l).rhost)).toEqual(['192.0.2.100']);
    }
    expect(readFileSync(`${dir}/state/watch.checkpoint.json`, 'utf8')).toBe(service);
    // A named checkpoint of its own: learns on its first run, goes on from there on the next.
    const named = (args: string[] = []) => spawnSync(nodePath, [cliBundle, 'watch', '--rules', `${dir}/rules.json`, '--checkpoint', 'cron', '--once', ...args], { env, encoding: 'utf8' });
    const first = named();
    expect(first.status, first.stderr).toBe(0);
    expect(first.stdout).toBe('');
    expect(existsSync(`${dir}/state/watch-cron.json`)).toBe(true);
    appendFileSync(log(), burst(1000, '192.0.2.1'));
    const second = named();
    expect(second.stdout.trim().split('\n').map((l) => JSON.parse(l).rhost)).toEqual(['192.0.2.1']);
    expect(named().stdout).toBe('');
    const elsewhere = named(['--input', `${dir}/rules.json`]);
    expect(elsewhere.status).toBe(1);
    expect(elsewhere.stderr).toContain(`Cannot use the checkpoint ${dir}/state/watch-cron.json: it watches ${log()}, not ${dir}/rules.json`);
    expect(readFileSync(`${dir}/state/watch.checkpoint.json`, 'utf8')).toBe(service);

    // The service goes on from its own checkpoint: what was appended meanwhile alerts, once.
    w = watch([], env);
    expect((await w.waitAlerts(1)).map((a) => a['rhost'])).toEqual(['192.0.2.1']);
    expect(await w.stop('SIGTERM')).toBe(0);
    expect(w.stderr()).not.toContain('first run');
    expect(w.alerts()).toHaveLength(1);
  });

  it('learns from the rotated segments too on its first run', async () => {
    const env = setup();
    // Four failures from one host in a rotated segment, compressed; a fifth appended later alerts.
    writeFileSync(`${dir}/log/sessions-20261120T100000Z.jsonl`, burst(0, '192.0.2.7', 2));
    execFileSync('gzip', [`${dir}/log/sessions-20261120T100000Z.jsonl`]);
    writeFileSync(`${dir}/log/sessions-20261120T100500Z.jsonl`, burst(2, '192.0.2.7', 2));
    writeFileSync(log(), '');
    const w = watch([], env);
    await waitFor('the first checkpoint', () => (existsSync(`${dir}/state/watch.checkpoint.json`) ? true : null));
    appendFileSync(log(), failLine(4, '192.0.2.7'));
    const [alert] = await w.waitAlerts(1);
    expect(alert).toMatchObject({ rule: 'failures_by_rhost', rhost: '192.0.2.7', count: 5 });
    expect(await w.stop('SIGTERM')).toBe(0);
    expect(w.stderr()).toContain('and its rotated segments to learn');
  });
});

describe('alert delivery', () => {
  let server: Server;
  const requests: Array<{ body: string; type: string | undefined }> = [];
  let failFirst = 0;
  beforeAll(async () => {
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (d: Buffer) => (body += d.toString()));
      req.on('end', () => {
        requests.push({ body, type: req.headers['content-type'] });
        res.statusCode = req.url === '/always-500' || failFirst-- > 0 ? 500 : 204;
        res.end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const url = (path: string) => `http://127.0.0.1:${(server.address() as AddressInfo).port}${path}`;

  it('posts each alert to the webhook, retrying on 500 until it is taken', async () => {
    const env = setup();
    requests.length = 0;
    failFirst = 2;
    writeFileSync(log(), burst(0, '192.0.2.9'));
    const r = await runCli(['watch', '--rules', `${dir}/rules.json`, '--from-start', '--once'], { ...env, LOGSPHERE_WEBHOOK_URL: url('/hook'), LOGSPHERE_WEBHOOK_RETRIES: '3' });
    expect(r.status, r.stderr).toBe(0);
    expect(requests).toHaveLength(3);
    const printed = JSON.parse(r.stdout);
    for (const q of requests) {
      expect(q.type).toBe('application/json');
      expect(JSON.parse(q.body)).toEqual(printed);
    }
    expect(r.stderr).not.toContain('gave up');
  });

  it('gives up after its retries with a logged error, and the alert is still printed and kept', async () => {
    const env = setup();
    requests.length = 0;
    writeFileSync(log(), burst(0, '192.0.2.9'));
    const r = await runCli(['watch', '--rules', `${dir}/rules.json`, '--from-start', '--once'], { ...env, LOGSPHERE_WEBHOOK_URL: url('/always-500'), LOGSPHERE_WEBHOOK_RETRIES: '2' });
    expect(r.status).toBe(0);
    expect(requests).toHaveLength(3);
    const alert = JSON.parse(r.stdout);
    expect(r.stderr).toContain(`webhook: gave up on alert ${alert.alert_id} (failures_by_rhost) after 3 attempts: HTTP 500`);
    expect(readFileSync(`${dir}/state/alerts.jsonl`, 'utf8')).toBe(r.stdout);
    // Nothing listening: a connection error, also retried and given up.
    const refused = await runCli(['watch', '--rules', `${dir}/rules.json`, '--once'], { ...env, LOGSPHERE_STATE_DIR: `${dir}/log`, LOGSPHERE_WEBHOOK_URL: 'http://127.0.0.1:9/x', LOGSPHERE_WEBHOOK_RETRIES: '1' });
    expect(refused.status).toBe(0);
  });
});

const noOpenssl = missing({ commands: ['/usr/bin/openssl'] });

describe.skipIf(noOpenssl)('mail over SMTP', () => {
  let smtp: TestSmtpServer;
  let port = 0;
  let certDir: string;
  let mails: ReceivedMail[] = [];
  beforeAll(async () => {
    certDir = mkdtempSync(`${tmpdir()}/ls-smtp-`);
    smtp = await startSmtpServer({ certificate: makeCertificate(certDir), authMethods: ['PLAIN', 'LOGIN'] });
    ({ port, mails } = smtp);
  });
  afterAll(async () => {
    await smtp.close();
    rmSync(certDir, { recursive: true, force: true });
  });

  const mailEnv = () => ({
    LOGSPHERE_SMTP_HOST: '127.0.0.1', LOGSPHERE_SMTP_PORT: String(port), LOGSPHERE_SMTP_STARTTLS: 'true', LOGSPHERE_SMTP_CA_FILE: `${certDir}/cert.pem`,
    LOGSPHERE_SMTP_USER: 'alerts', LOGSPHERE_SMTP_PASSWORD: 's3cret pass', LOGSPHERE_MAIL_FROM: 'logsphere@web1.example', LOGSPHERE_MAIL_TO: 'sec@example.org,ops@example.org',
  });

  it('mails each alert over STARTTLS with the configured credentials', async () => {
    const env = setup();
    mails.length = 0;
    writeFileSync(log(), burst(0, '203.0.113.7'));
    const r = await runCli(['watch', '--rules', `${dir}/rules.json`, '--from-start', '--once'], { ...env, ...mailEnv() });
    expect(r.status, r.stderr).toBe(0);
    expect(mails).toHaveLength(1);
    const mail = mails[0] as ReceivedMail;
    expect(mail).toMatchObject({ from: 'logsphere@web1.example', to: ['sec@example.org', 'ops@example.org'], secure: true, user: 'alerts' });
    const { head, subject, bodies } = parseMail(mail.raw);
    expect(subject).toBe('[LogSphere] warning: 5 failed logins from 203.0.113.7 within 10m on web1');
    expect(head).toContain('To: sec@example.org, ops@example.org');
    const alert = JSON.parse(r.stdout);
    expect(bodies[0]?.body).toContain(`"alert_id": "${alert.alert_id}"`);
    expect(bodies[0]?.body.startsWith('5 failed logins from 203.0.113.7 within 10m on web1\n')).toBe(true);
  });

  it('reports a refused login and a server without STARTTLS, and never sends in the clear', async () => {
    const env = setup();
    mails.length = 0;
    writeFileSync(log(), burst(0, '203.0.113.7'));
    const wrong = await runCli(['watch', '--rules', `${dir}/rules.json`, '--from-start', '--once'], { ...env, ...mailEnv(), LOGSPHERE_SMTP_PASSWORD: 'nope' });
    expect(wrong.status).toBe(0);
    expect(wrong.stderr).toMatch(/mail: could not send alert .* AUTH PLAIN: the server answered 535/);
    expect(mails).toHaveLength(0);
    // A server that does not offer STARTTLS gets nothing: not the password, not the alert.
    let plainAuth = 0;
    const plain = new SMTPServer({ hideSTARTTLS: true, disabledCommands: ['STARTTLS'], allowInsecureAuth: true, onAuth: (_a, _s, cb) => (plainAuth++, cb(null, { user: 'x' })), onData: (stream, _s, cb) => (stream.resume(), stream.on('end', () => (mails.push({ from: '', to: [], secure: false, user: undefined, raw: '' }), cb()))), logger: false });
    await new Promise<void>((resolve) => plain.listen(0, '127.0.0.1', resolve));
    const plainPort = String((plain.server.address() as AddressInfo).port);
    const clear = await runCli(['watch', '--rules', `${dir}/rules.json`, '--from-start', '--once'], { ...env, ...mailEnv(), LOGSPHERE_SMTP_PORT: plainPort, LOGSPHERE_STATE_DIR: `${dir}/log` });
    await new Promise<void>((resolve) => plain.close(() => resolve()));
    expect(clear.stderr).toMatch(new RegExp(`mail: could not send alert .*: Cannot send mail to 127\\.0\\.0\\.1:${plainPort}: the server refused STARTTLS \\(LOGSPHERE_SMTP_STARTTLS is on\\): 5\\d\\d `));
    expect(plainAuth).toBe(0);
    expect(mails).toHaveLength(0);
  });

  it('mails the report with the HTML attached', async () => {
    const env = setup();
    mails.length = 0;
    writeFileSync(log(), burst(0, '203.0.113.7'));
    const r = await runCli(['report', '--since', '2026-11-19', '--until', '2026-11-21', '--format', 'html', '--output', `${dir}/state/report.html`, '--mail'], { ...env, ...mailEnv() });
    expect(r.status, r.stderr).toBe(0);
    expect(mails).toHaveLength(1);
    const { subject, bodies } = parseMail((mails[0] as ReceivedMail).raw);
    expect(subject).toBe('LogSphere security report 2026-11-19 – 2026-11-21: 5 failed logins, 0 alerts');
    expect(bodies[0]?.body).toContain('Failed logins: 5; alerts fired: 0');
    expect(bodies[1]?.head).toMatch(/^Content-Disposition: attachment; filename="?logsphere-report-2026-11-21\.html"?$/m);
    expect(bodies[1]?.body).toBe(readFileSync(`${dir}/state/report.html`, 'utf8'));
  });

  it('fails the report and the alert mail when a man in the middle injects replies before TLS, and nothing is delivered', async () => {
    const env = setup();
    mails.length = 0;
    writeFileSync(log(), burst(0, '203.0.113.7'));
    // After the server's "220" to STARTTLS, in the same packet: the rest of a transaction, all accepted.
    const forged = '250-mitm\r\n250 AUTH PLAIN\r\n235 2.7.0 Accepted\r\n250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n250 2.1.5 Ok\r\n354 Go ahead\r\n250 2.0.0 Ok: queued\r\n';
    const mitm = await startMitm(port, { afterStartTlsReply: forged });
    try {
      const via = { ...env, ...mailEnv(), LOGSPHERE_SMTP_PORT: String(mitm.port) };
      const injected = new RegExp(`Cannot send mail to 127\\.0\\.0\\.1:${mitm.port}: the server sent \\d+ bytes in plain text after agreeing to STARTTLS`);
      const r = await runCli(['report', '--since', '2026-11-19', '--until', '2026-11-21', '--output', `${dir}/state/report.txt`, '--mail'], via);
      expect(r.status).toBe(1);
      expect(r.stderr).toMatch(new RegExp(`^logsphere: ${injected.source}`));
      expect(r.stderr).not.toContain('mailed');
      const w = await runCli(['watch', '--rules', `${dir}/rules.json`, '--from-start', '--once'], via);
      expect(w.status, w.stderr).toBe(0);
      expect(w.stderr).toMatch(new RegExp(`mail: could not send alert .*: ${injected.source}`));
      // Two sessions (the report's, the alert's), each ended at STARTTLS: nothing else went in the clear.
      expect(mitm.clientText()).toMatch(/^(EHLO [^\r\n]+\r\nSTARTTLS\r\n){2}$/);
    } finally {
      await mitm.close();
    }
    expect(mails).toHaveLength(0);
  });
});
