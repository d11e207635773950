// sendMail() against a real SMTP server (smtp-server) with a certificate made by openssl: STARTTLS
// required, the login, the message as received; and a man in the middle in front of that server
// (forged replies around STARTTLS, STARTTLS stripped), a server without STARTTLS, an untrusted
// certificate, a silent server. And where nodemailer sits in the bundles.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { inflateRawSync } from 'node:zlib';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { MailConfig } from '../../src/config/config.ts';
import { sendMail, type MailMessage } from '../../src/mail/send-mail.ts';
import { cliBundle, hookBundle, requireBuilt } from '../helpers/paths.ts';
import { missing } from '../helpers/require.ts';
import { makeCertificate, parseMail, startMitm, startSilentServer, startSmtpServer, type Mitm, type TestSmtpServer } from '../helpers/smtp.ts';

const noOpenssl = missing({ commands: ['/usr/bin/openssl'] });

const message: MailMessage = {
  subject: 'LogSphere security report 2026-11-19 – 2026-11-21: 5 failed logins',
  parts: [
    { contentType: 'text/plain', body: 'Failed logins: 5\nfrom 203.0.113.7 (Zoë)\n' },
    { contentType: 'text/html', filename: 'logsphere-report-2026-11-21.html', body: '<!doctype html><p>Failed logins: 5</p>\n' },
  ],
};

/** The pipelined replies a man in the middle forges so that a whole transaction looks accepted. */
const forgedTranscript = '250-mitm.example\r\n250 AUTH PLAIN LOGIN\r\n235 2.7.0 Accepted\r\n250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n250 2.1.5 Ok\r\n354 End data with <CR><LF>.<CR><LF>\r\n250 2.0.0 Ok: queued\r\n221 2.0.0 Bye\r\n';

describe.skipIf(noOpenssl)('sendMail() with a real SMTP server', () => {
  let dir: string;
  let certificate: { key: string; cert: string };
  let other: { key: string; cert: string };
  let server: TestSmtpServer;
  const closing: Array<{ close: () => Promise<void> }> = [];
  const config = (port: number, more: Partial<MailConfig> = {}): MailConfig => ({
    host: '127.0.0.1', port, starttls: true, user: 'alerts', password: 's3cret pass', caFile: certificate.cert, from: 'logsphere@web1.example', to: ['sec@example.org', 'ops@example.org'], ...more,
  });
  const mitm = async (tampering: Parameters<typeof startMitm>[1]): Promise<Mitm> => {
    const m = await startMitm(server.port, tampering);
    closing.push(m);
    return m;
  };

  beforeAll(async () => {
    dir = mkdtempSync(`${tmpdir()}/ls-mail-`);
    certificate = makeCertificate(dir);
    other = makeCertificate(dir, 'other');
    server = await startSmtpServer({ certificate });
  });
  afterEach(async () => {
    for (const c of closing.splice(0)) await c.close();
    server.mails.length = 0;
    server.logins.length = 0;
  });
  afterAll(async () => {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('sendMail() delivers over STARTTLS with the configured login, subject and parts intact', async () => {
    const sent = await sendMail(config(server.port), message);
    expect(sent).toEqual({ accepted: ['sec@example.org', 'ops@example.org'], rejected: [] });
    expect(server.logins).toEqual([{ user: 'alerts', secure: true }]);
    expect(server.mails).toHaveLength(1);
    const mail = server.mails[0] as (typeof server.mails)[number];
    expect(mail).toMatchObject({ from: 'logsphere@web1.example', to: ['sec@example.org', 'ops@example.org'], secure: true, user: 'alerts' });
    const { head, subject, bodies } = parseMail(mail.raw);
    expect(head).toMatch(/^From: LogSphere <logsphere@web1\.example>$/m);
    expect(head).toMatch(/^To: sec@example\.org, ops@example\.org$/m);
    expect(head).toMatch(/^Auto-Submitted: auto-generated$/m);
    expect(subject).toBe(message.subject);
    expect(bodies.map((b) => b.body)).toEqual(message.parts.map((p) => p.body));
    expect(bodies[1]?.head).toMatch(/^Content-Disposition: attachment; filename="?logsphere-report-2026-11-21\.html"?$/m);
  });

  it('sendMail() fails and sends nothing when replies are injected in plain text after the server agreed to STARTTLS', async () => {
    // The real server refuses every recipient: only the forged replies could make the mail look sent.
    const refusing = await startSmtpServer({ certificate, onRcptTo: (_a, _s, callback) => callback(new Error('Relay access denied')) });
    closing.push(refusing);
    const m = await startMitm(refusing.port, { afterStartTlsReply: forgedTranscript });
    closing.push(m);
    await expect(sendMail(config(m.port), message)).rejects.toThrow(new RegExp(`^Cannot send mail to 127\\.0\\.0\\.1:${m.port}: the server sent \\d+ bytes in plain text after agreeing to STARTTLS`));
    expect(refusing.logins).toEqual([]);
    expect(refusing.mails).toEqual([]);
    expect(m.clientText()).toMatch(/^EHLO [^\r\n]+\r\nSTARTTLS\r\n$/);
  });

  it('sendMail() fails and sends nothing when a man in the middle answers STARTTLS ahead of the server', async () => {
    const m = await mitm({ answerStartTls: `220 2.0.0 Ready to start TLS\r\n${forgedTranscript}` });
    await expect(sendMail(config(m.port), message)).rejects.toThrow(new RegExp(`^Cannot send mail to 127\\.0\\.0\\.1:${m.port}: the server sent \\d+ bytes in plain text after agreeing to STARTTLS`));
    expect(server.logins).toEqual([]);
    expect(server.mails).toEqual([]);
    expect(m.clientText()).toMatch(/^EHLO [^\r\n]+\r\nSTARTTLS\r\n$/);
  });

  it('sendMail() fails and sends nothing when forged replies follow the STARTTLS answer in a write of their own', async () => {
    const m = await mitm({ laterPacket: forgedTranscript });
    await expect(sendMail(config(m.port), message)).rejects.toThrow(new RegExp(`^Cannot send mail to 127\\.0\\.0\\.1:${m.port}: (TLS: |the server sent \\d+ bytes in plain text)`));
    expect(server.logins).toEqual([]);
    expect(server.mails).toEqual([]);
  });

  it('sendMail() upgrades all the same when a man in the middle strips STARTTLS from the EHLO reply', async () => {
    const m = await mitm({ stripStartTls: true });
    await sendMail(config(m.port), message);
    expect(m.clientText()).toMatch(/^EHLO [^\r\n]+\r\nSTARTTLS\r\n$/);
    expect(server.logins).toEqual([{ user: 'alerts', secure: true }]);
    expect(server.mails.map((mail) => mail.secure)).toEqual([true]);
  });

  it('sendMail() refuses a server without STARTTLS when it is required, before any login', async () => {
    const plain = await startSmtpServer({ hideSTARTTLS: true, disabledCommands: ['STARTTLS'], allowInsecureAuth: true });
    closing.push(plain);
    await expect(sendMail(config(plain.port), message)).rejects.toThrow(
      new RegExp(`^Cannot send mail to 127\\.0\\.0\\.1:${plain.port}: the server refused STARTTLS \\(LOGSPHERE_SMTP_STARTTLS is on\\): 5\\d\\d `),
    );
    expect(plain.logins).toEqual([]);
    expect(plain.mails).toEqual([]);
  });

  it('sendMail() refuses a certificate that does not chain to the configured authority', async () => {
    await expect(sendMail(config(server.port, { caFile: other.cert }), message)).rejects.toThrow(new RegExp(`^Cannot send mail to 127\\.0\\.0\\.1:${server.port}: TLS: self[- ]signed certificate`));
    await expect(sendMail(config(server.port, { caFile: `${dir}/none.pem` }), message)).rejects.toThrow(`Cannot send mail to 127.0.0.1:${server.port}: cannot read ${dir}/none.pem: ENOENT`);
    expect(server.logins).toEqual([]);
    expect(server.mails).toEqual([]);
  });

  it('sendMail() without STARTTLS configured stays in plain text', async () => {
    const plain = await startSmtpServer({ certificate, allowInsecureAuth: true });
    closing.push(plain);
    await sendMail(config(plain.port, { starttls: false }), message);
    expect(plain.logins).toEqual([{ user: 'alerts', secure: false }]);
    expect(plain.mails.map((mail) => mail.secure)).toEqual([false]);
  });

  it('sendMail() reports a refused login, and the recipients a server refuses while taking the others', async () => {
    await expect(sendMail(config(server.port, { password: 'nope' }), message)).rejects.toThrow(new RegExp(`^Cannot send mail to 127\\.0\\.0\\.1:${server.port}: AUTH PLAIN: the server answered 535 `));
    expect(server.mails).toEqual([]);
    const picky = await startSmtpServer({ certificate, onRcptTo: (a, _s, callback) => callback(a.address === 'ops@example.org' ? new Error('No such user') : null) });
    closing.push(picky);
    expect(await sendMail(config(picky.port), message)).toEqual({ accepted: ['sec@example.org'], rejected: ['ops@example.org'] });
    expect(picky.mails.map((mail) => mail.to)).toEqual([['sec@example.org']]);
  });

  it('sendMail() gives up on a server that does not answer', async () => {
    const silent = await startSilentServer();
    closing.push(silent);
    await expect(sendMail(config(silent.port), message, 200)).rejects.toThrow(`Cannot send mail to 127.0.0.1:${silent.port}: no answer from the server within 200 ms`);
  });
});

describe('nodemailer in the bundles', () => {
  it('the hook has none, and the CLI holds it as text that loads nothing at start', () => {
    requireBuilt();
    expect(readFileSync(hookBundle, 'utf8')).not.toMatch(/nodemailer/i);
    const cli = readFileSync(cliBundle, 'utf8');
    // The pieces compiled on first use, read back as the CLI reads them: nodemailer's is kept deflated.
    const at = JSON.parse(/const pieceAt = (\{.*?\});/.exec(cli)?.[1] ?? '{}') as Record<string, [number, number, number?]>;
    const source = cli.slice(cli.indexOf('function pieceSource() {/*') + 'function pieceSource() {/*'.length);
    const pieces = Object.values(at).map(([from, to, packed]) => ({ packed: packed === 1, text: packed === 1 ? inflateRawSync(Buffer.from(source.slice(from, to), 'base64')).toString('latin1') : source.slice(from, to) }));
    const mail = pieces.filter((p) => p.text.includes('Cannot load the embedded nodemailer'));
    expect(mail.length).toBeGreaterThan(0);
    expect(pieces.filter((p) => p.text.includes('createTransport') && p.text.length > 100_000).map((p) => p.packed)).toEqual([true]);
    // What the CLI compiles at start (the code before the pieces kept as text, compiled when a
    // command needs them): none of the modules that only mail needs.
    const eager = cli.slice(0, cli.indexOf('function pieceSource()'));
    expect(eager).toContain('requirePiece');
    expect(eager).not.toMatch(/node:(tls|https?|dns)"/);
  });
});
