// A small SMTP client (RFC 5321) for alert and report mail: EHLO, STARTTLS (RFC 3207) when
// configured — required then, never silently skipped —, AUTH PLAIN or LOGIN (RFC 4954) when
// credentials are configured, one message to all recipients. The message is built here too:
// headers are ASCII only (the subject RFC 2047-encoded), bodies base64, so no untrusted byte
// reaches the protocol stream raw and no line needs dot-stuffing.

import { readFileSync } from 'node:fs';
import * as net from 'node:net';
import * as tls from 'node:tls';
import { hostname } from 'node:os';
import type { MailConfig } from '../config/config.ts';

export interface MailPart {
  contentType: string;
  /** Shown as an attachment with this file name; inline when absent. */
  filename?: string;
  body: string;
}

export interface MailMessage {
  subject: string;
  parts: MailPart[];
}

export class SmtpError extends Error {
  override name = 'SmtpError';
}

/** A header value in ASCII: RFC 2047 base64 when it holds anything but printable ASCII. */
function encodeHeader(value: string): string {
  const oneLine = value.replace(/[\r\n]+/g, ' ');
  if (/^[\x20-\x7e]*$/.test(oneLine) && oneLine.length <= 900) return oneLine;
  const words: string[] = [];
  // Encoded words of at most 45 bytes of UTF-8 each, split at character boundaries.
  let chunk = '';
  for (const ch of oneLine.slice(0, 400)) {
    if (Buffer.byteLength(chunk + ch) > 45) {
      words.push(chunk);
      chunk = '';
    }
    chunk += ch;
  }
  if (chunk !== '') words.push(chunk);
  return words.map((w) => `=?UTF-8?B?${Buffer.from(w).toString('base64')}?=`).join('\r\n ');
}

const base64Lines = (text: string) => (Buffer.from(text).toString('base64').match(/.{1,76}/g) ?? []).join('\r\n');

/** The message as it goes over the wire (CRLF line ends), without the final dot. */
export function buildMessage(from: string, to: readonly string[], message: MailMessage, date = new Date()): string {
  const boundary = `logsphere-${date.getTime().toString(36)}-${Math.random().toString(36).slice(2)}`;
  const head = [
    `From: LogSphere <${from}>`,
    `To: ${to.join(', ')}`,
    `Subject: ${encodeHeader(message.subject)}`,
    `Date: ${date.toUTCString().replace('GMT', '+0000')}`,
    `Message-ID: <${boundary}@${from.split('@')[1]}>`,
    'MIME-Version: 1.0',
    'Auto-Submitted: auto-generated',
  ];
  const partHead = (p: MailPart) => [
    `Content-Type: ${p.contentType}; charset=utf-8`,
    'Content-Transfer-Encoding: base64',
    ...(p.filename === undefined ? [] : [`Content-Disposition: attachment; filename="${p.filename.replace(/[^A-Za-z0-9._-]/g, '_')}"`]),
  ];
  if (message.parts.length === 1) {
    const p = message.parts[0] as MailPart;
    return [...head, ...partHead(p), '', base64Lines(p.body), ''].join('\r\n');
  }
  const lines = [...head, `Content-Type: multipart/mixed; boundary="${boundary}"`, '', 'This is a MIME message.'];
  for (const p of message.parts) lines.push(`--${boundary}`, ...partHead(p), '', base64Lines(p.body));
  lines.push(`--${boundary}--`, '');
  return lines.join('\r\n');
}

interface Reply {
  code: number;
  lines: string[];
}

/** Line-oriented replies over a socket that may be swapped for its TLS upgrade. */
class Connection {
  private buffer = '';
  private waiting: ((reply: Reply | Error) => void) | null = null;
  private pending: Reply[] = [];
  private failure: Error | null = null;
  private current: string[] = [];

  constructor(public socket: net.Socket | tls.TLSSocket, private readonly timeoutMs: number) {
    this.attach(socket);
  }

  attach(socket: net.Socket | tls.TLSSocket): void {
    this.socket = socket;
    socket.setEncoding('utf8');
    socket.setTimeout(this.timeoutMs, () => this.fail(new SmtpError(`no answer from the server within ${this.timeoutMs} ms`)));
    socket.on('data', (data: string) => this.onData(data));
    socket.on('error', (error) => this.fail(error));
    socket.on('close', () => this.fail(new SmtpError('the server closed the connection')));
  }

  detach(): void {
    this.socket.removeAllListeners('data');
    this.socket.removeAllListeners('error');
    this.socket.removeAllListeners('close');
    this.socket.setTimeout(0);
  }

  private onData(data: string): void {
    this.buffer += data;
    if (this.buffer.length > 1 << 20) return this.fail(new SmtpError('reply too long'));
    let end;
    while ((end = this.buffer.indexOf('\n')) >= 0) {
      const line = this.buffer.slice(0, end).replace(/\r$/, '');
      this.buffer = this.buffer.slice(end + 1);
      const m = /^(\d{3})([ -])(.*)$/.exec(line);
      if (!m) return this.fail(new SmtpError(`unexpected reply line ${JSON.stringify(line.slice(0, 200))}`));
      this.current.push(m[3] as string);
      if (m[2] === ' ') {
        this.pending.push({ code: Number(m[1]), lines: this.current });
        this.current = [];
      }
    }
    this.flush();
  }

  private fail(error: Error): void {
    this.failure ??= error;
    this.flush();
  }

  private flush(): void {
    if (!this.waiting) return;
    const next = this.pending.shift() ?? this.failure;
    if (!next) return;
    const w = this.waiting;
    this.waiting = null;
    w(next);
  }

  reply(): Promise<Reply> {
    return new Promise((resolve, reject) => {
      this.waiting = (r) => (r instanceof Error ? reject(r) : resolve(r));
      this.flush();
    });
  }

  async command(line: string | null, expect: number[], what: string): Promise<Reply> {
    if (line !== null) this.socket.write(`${line}\r\n`);
    const r = await this.reply();
    if (!expect.includes(r.code)) throw new SmtpError(`${what}: the server answered ${r.code} ${r.lines.join(' ').slice(0, 300)}`);
    return r;
  }
}

/** Sends one message; resolves when the server accepted it, rejects with the step that failed. */
export async function sendMail(config: MailConfig, message: MailMessage, timeoutMs = 30_000): Promise<void> {
  const socket = net.connect({ host: config.host, port: config.port });
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', (e) => reject(new SmtpError(`cannot connect to ${config.host}:${config.port}: ${(e as { code?: string }).code ?? e.message}`)));
  });
  const c = new Connection(socket, timeoutMs);
  try {
    const me = hostname() || 'localhost';
    await c.command(null, [220], 'greeting');
    let ehlo = await c.command(`EHLO ${me}`, [250], 'EHLO');
    if (config.starttls) {
      if (!ehlo.lines.some((l) => /^STARTTLS\b/i.test(l))) throw new SmtpError(`${config.host} does not offer STARTTLS (LOGSPHERE_SMTP_STARTTLS is on)`);
      await c.command('STARTTLS', [220], 'STARTTLS');
      c.detach();
      // The certificate must be valid for the configured host name or address.
      const options: tls.ConnectionOptions = { socket, host: config.host };
      if (net.isIP(config.host) === 0) options.servername = config.host;
      if (config.caFile !== null) options.ca = readFileSync(config.caFile);
      const secure = tls.connect(options);
      await new Promise<void>((resolve, reject) => {
        secure.once('secureConnect', resolve);
        secure.once('error', (e) => reject(new SmtpError(`TLS with ${config.host}: ${e.message}`)));
      });
      c.attach(secure);
      ehlo = await c.command(`EHLO ${me}`, [250], 'EHLO after STARTTLS');
    }
    if (config.user !== null) {
      const auth = ehlo.lines.find((l) => /^AUTH\b/i.test(l))?.toUpperCase().split(/\s+/) ?? [];
      const password = config.password ?? '';
      if (auth.includes('PLAIN')) {
        await c.command(`AUTH PLAIN ${Buffer.from(`\u0000${config.user}\u0000${password}`).toString('base64')}`, [235], 'AUTH PLAIN');
      } else if (auth.includes('LOGIN')) {
        await c.command('AUTH LOGIN', [334], 'AUTH LOGIN');
        await c.command(Buffer.from(config.user).toString('base64'), [334], 'AUTH LOGIN user');
        await c.command(Buffer.from(password).toString('base64'), [235], 'AUTH LOGIN password');
      } else {
        throw new SmtpError(`${config.host} offers no AUTH PLAIN or LOGIN${config.starttls ? '' : ' (without STARTTLS servers often offer none)'}`);
      }
    }
    await c.command(`MAIL FROM:<${config.from}>`, [250], 'MAIL FROM');
    for (const to of config.to) await c.command(`RCPT TO:<${to}>`, [250, 251], `RCPT TO ${to}`);
    await c.command('DATA', [354], 'DATA');
    await c.command(`${buildMessage(config.from, config.to, message)}\r\n.`, [250], 'message');
    await c.command('QUIT', [221], 'QUIT').catch(() => undefined);
  } finally {
    c.socket.destroy();
  }
}
