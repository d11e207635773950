// Mail from LogSphere (watch's alerts, `report --mail`): one message to the configured recipients
// through nodemailer's SMTP client, which also builds the MIME message. With
// LOGSPHERE_SMTP_STARTTLS (the default) the session is upgraded with STARTTLS before anything but
// EHLO is sent, even when the EHLO reply does not offer it (a man in the middle may have removed
// it); the certificate must be valid for the configured host (against the configured CA file or
// the system's); and anything the server sent in plain text after agreeing to STARTTLS fails the
// send: only a man in the middle puts replies there, to have them read as answers after the
// upgrade (RFC 3207 section 6; nodemailer discards them, and tells its logger).

import { readFileSync } from 'node:fs';
import type { MailConfig } from '../config/config.ts';
import { loadNodemailer } from './load-nodemailer.ts';

export interface MailPart {
  contentType: 'text/plain' | 'text/html';
  /** Sent as an attachment with this file name; the message's body when absent. */
  filename?: string;
  body: string;
}

export interface MailMessage {
  subject: string;
  parts: MailPart[];
}

/** What nodemailer's errors carry besides the message. */
interface SmtpFailure extends Error {
  code?: string;
  originalCode?: string;
  command?: string;
  response?: string;
}

/** The reason a send failed, in words that name the step and what the server said. */
function describeFailure(error: SmtpFailure, timeoutMs: number): string {
  const response = typeof error.response === 'string' ? error.response.replace(/\s+/g, ' ').trim().slice(0, 300) : '';
  switch (error.code) {
    case 'ETIMEDOUT':
      return `no answer from the server within ${timeoutMs} ms`;
    case 'ETLS':
      if (response !== '') return `the server refused STARTTLS (LOGSPHERE_SMTP_STARTTLS is on): ${response}`;
      return `TLS: ${error.message.replace(/^Error initiating TLS - /, '')}`;
    case 'ECONNECTION':
    case 'ESOCKET':
    case 'EDNS': {
      const code = error.originalCode;
      if (code === undefined) break;
      // A system error (ECONNREFUSED, ENOTFOUND, …) says enough; OpenSSL's and X.509's codes
      // (CERT_HAS_EXPIRED, ERR_TLS_CERT_ALTNAME_INVALID, …) come with a readable message.
      const tls = !code.startsWith('E') || /^ERR_(SSL|TLS)_/.test(code);
      return tls ? `TLS: ${error.message}` : code;
    }
  }
  if (response !== '' && error.command !== undefined && error.command !== 'CONN') return `${error.command}: the server answered ${response}`;
  return error.message;
}

function mailOptions(config: MailConfig, message: MailMessage) {
  const text = message.parts.find((p) => p.filename === undefined && p.contentType === 'text/plain');
  const html = message.parts.find((p) => p.filename === undefined && p.contentType === 'text/html');
  const attachments = message.parts
    .filter((p) => p !== text && p !== html)
    .map((p) => ({ content: p.body, contentType: `${p.contentType}; charset=utf-8`, ...(p.filename === undefined ? {} : { filename: p.filename }) }));
  return {
    from: { name: 'LogSphere', address: config.from },
    to: config.to,
    subject: message.subject,
    ...(text === undefined ? {} : { text: text.body }),
    ...(html === undefined ? {} : { html: html.body }),
    attachments,
    headers: { 'Auto-Submitted': 'auto-generated' },
    textEncoding: 'base64' as const,
    boundaryPrefix: 'logsphere',
    // Only the strings given here go into the message, never a file or a URL named in them.
    disableFileAccess: true,
    disableUrlAccess: true,
  };
}

/** The recipients the server took the message for, and those it refused while taking it for others. */
export interface MailSent {
  accepted: string[];
  rejected: string[];
}

/** Sends one message; resolves when the server accepted it (for one recipient at least). */
export async function sendMail(config: MailConfig, message: MailMessage, timeoutMs = 30_000): Promise<MailSent> {
  const where = `${config.host}:${config.port}`;
  let ca: Buffer | null = null;
  if (config.caFile !== null) {
    try {
      ca = readFileSync(config.caFile);
    } catch (error) {
      throw new Error(`Cannot send mail to ${where}: cannot read ${config.caFile}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
    }
  }
  const { createTransport } = await loadNodemailer();
  const abort = new AbortController();
  let injected = 0;
  const ignore = () => undefined;
  const transport = createTransport({
    host: config.host,
    port: config.port,
    secure: false,
    requireTLS: config.starttls,
    // Without STARTTLS configured the session stays in plain text, as it was configured to.
    ignoreTLS: !config.starttls,
    ...(ca === null ? {} : { tls: { ca } }),
    ...(config.user === null ? {} : { auth: { user: config.user, pass: config.password ?? '' } }),
    // Credentials configured: authenticate, or fail when the server offers no way to.
    forceAuth: config.user !== null,
    dnsTimeout: timeoutMs,
    connectionTimeout: timeoutMs,
    greetingTimeout: timeoutMs,
    socketTimeout: timeoutMs,
    logger: {
      trace: ignore,
      debug: ignore,
      info: ignore,
      error: ignore,
      fatal: ignore,
      // nodemailer reports the bytes it discarded at the TLS upgrade as `discarded`. The send is
      // stopped after the current step: the handshake has only begun, nothing has been sent.
      warn(entry: unknown) {
        const discarded = (entry as { discarded?: unknown } | null)?.discarded;
        if (typeof discarded === 'number' && discarded > 0 && injected === 0) {
          injected = discarded;
          queueMicrotask(() => abort.abort());
        }
      },
    },
  });
  try {
    const info = await transport.sendMail({ ...mailOptions(config, message), signal: abort.signal });
    return { accepted: info.accepted, rejected: info.rejected };
  } catch (error) {
    const detail = injected > 0
      ? `the server sent ${injected} byte${injected === 1 ? '' : 's'} in plain text after agreeing to STARTTLS, as a man in the middle would: the session was ended before anything was sent`
      : describeFailure(error as SmtpFailure, timeoutMs);
    throw new Error(`Cannot send mail to ${where}: ${detail}`, { cause: error });
  } finally {
    transport.close();
  }
}
