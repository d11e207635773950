// A real SMTP server (smtp-server) with a certificate made by openssl, and a man in the middle: a
// TCP proxy in front of it that reads the plain-text part of the session and can tamper with it
// (forged replies around STARTTLS, STARTTLS stripped from EHLO) before the TLS upgrade.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer, connect, type AddressInfo, type Server, type Socket } from 'node:net';
import { SMTPServer, type SMTPServerOptions } from 'smtp-server';

/** A self-signed certificate for 127.0.0.1 in DIR: key.pem, cert.pem. */
export function makeCertificate(dir: string, name = 'cert'): { key: string; cert: string } {
  const key = `${dir}/${name}-key.pem`;
  const cert = `${dir}/${name}.pem`;
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1', '-days', '2', '-keyout', key, '-out', cert], { stdio: 'ignore' });
  return { key, cert };
}

export interface ReceivedMail {
  from: string;
  to: string[];
  secure: boolean;
  user: string | undefined;
  raw: string;
}

export interface TestSmtpServer {
  port: number;
  mails: ReceivedMail[];
  /** Every AUTH attempt, with whether the session was encrypted then. */
  logins: Array<{ user: string; secure: boolean }>;
  close: () => Promise<void>;
}

/** A server on 127.0.0.1 that takes user `alerts` with password `s3cret pass` and keeps every mail. */
export async function startSmtpServer(options: SMTPServerOptions & { certificate?: { key: string; cert: string } }): Promise<TestSmtpServer> {
  const mails: ReceivedMail[] = [];
  const logins: TestSmtpServer['logins'] = [];
  const { certificate, ...rest } = options;
  const server = new SMTPServer({
    ...(certificate === undefined ? {} : { key: readFileSync(certificate.key), cert: readFileSync(certificate.cert) }),
    authMethods: ['PLAIN', 'LOGIN'],
    disableReverseLookup: true,
    onAuth(auth, session, callback) {
      logins.push({ user: auth.username ?? '', secure: session.secure });
      if (auth.username === 'alerts' && auth.password === 's3cret pass') callback(null, { user: auth.username });
      else callback(new Error('Invalid username or password'));
    },
    onData(stream, session, callback) {
      let raw = '';
      stream.on('data', (d: Buffer) => (raw += d.toString()));
      stream.on('end', () => {
        mails.push({ from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '', to: session.envelope.rcptTo.map((r) => r.address), secure: session.secure, user: session.user as string | undefined, raw });
        callback();
      });
    },
    logger: false,
    ...rest,
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.server.address() as AddressInfo).port,
    mails,
    logins,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

export interface Tampering {
  /** Written to the client together with the server's reply to STARTTLS, in the same packet. */
  afterStartTlsReply?: string;
  /** Written to the client as soon as it sends STARTTLS, ahead of the server's own reply. */
  answerStartTls?: string;
  /** Written to the client in a write of its own after the server's reply to STARTTLS. */
  laterPacket?: string;
  /** Removes STARTTLS from the server's EHLO reply. */
  stripStartTls?: boolean;
}

export interface Mitm {
  port: number;
  /** What the client sent before the TLS upgrade (or all of it, when there was none). */
  clientText: () => string;
  close: () => Promise<void>;
}

/** Replies with STARTTLS left out of an EHLO reply, its last line ending the reply again. */
function withoutStartTls(reply: string): string {
  const lines = reply.split('\r\n');
  const tail = lines.pop() ?? '';
  const kept = lines.filter((l) => !/^250[ -]STARTTLS\b/i.test(l));
  if (kept.length === 0) return reply;
  const last = kept.length - 1;
  return [...kept.map((l, i) => (i === last ? l.replace(/^250-/, '250 ') : l)), tail].join('\r\n');
}

export async function startMitm(serverPort: number, tampering: Tampering): Promise<Mitm> {
  let clientText = '';
  const sockets = new Set<Socket>();
  const proxy: Server = createServer((client) => {
    const server = connect(serverPort, '127.0.0.1');
    client.setNoDelay(true);
    sockets.add(client).add(server);
    let clear = true;
    let startTlsSent = false;
    client.on('data', (d: Buffer) => {
      if (clear) {
        clientText += d.toString('latin1');
        if (!startTlsSent && /(^|\r\n)STARTTLS\r\n$/i.test(clientText)) {
          startTlsSent = true;
          if (tampering.answerStartTls !== undefined) client.write(tampering.answerStartTls);
        }
      }
      server.write(d);
    });
    server.on('data', (d: Buffer) => {
      if (!clear) return void client.write(d);
      let text = d.toString('latin1');
      if (tampering.stripStartTls && /^250[ -]/.test(text)) text = withoutStartTls(text);
      if (startTlsSent) {
        // The server's answer to STARTTLS: from here on the session is TLS.
        clear = false;
        text += tampering.afterStartTlsReply ?? '';
        client.write(Buffer.from(text, 'latin1'));
        // Sent before the server's first TLS record is forwarded, so always ahead of it.
        if (tampering.laterPacket !== undefined) client.write(tampering.laterPacket);
        return;
      }
      client.write(Buffer.from(text, 'latin1'));
    });
    const end = () => {
      client.destroy();
      server.destroy();
    };
    for (const s of [client, server]) {
      s.on('error', end);
      s.on('close', end);
    }
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  return {
    port: (proxy.address() as AddressInfo).port,
    clientText: () => clientText,
    close: () => {
      for (const s of sockets) s.destroy();
      return new Promise<void>((resolve) => proxy.close(() => resolve()));
    },
  };
}

/** A server that accepts connections and never says anything. */
export async function startSilentServer(): Promise<{ port: number; close: () => Promise<void> }> {
  const sockets = new Set<Socket>();
  const server = createServer((s) => void sockets.add(s));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    close: () => {
      for (const s of sockets) s.destroy();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Header block, decoded subject and decoded bodies of a message as received. */
export function parseMail(raw: string): { head: string; subject: string; bodies: Array<{ head: string; body: string }> } {
  const [head = '', ...rest] = raw.split('\r\n\r\n');
  // Unfolded (RFC 5322: a line break before white space is removed, the white space kept); runs
  // of encoded words (RFC 2047) decoded together, the white space between them dropped.
  const subjectLine = (/^Subject: (.*(?:\r\n[ \t].*)*)/m.exec(head)?.[1] ?? '').replace(/\r\n(?=[ \t])/g, '');
  const subject = subjectLine.replace(/=\?UTF-8\?B\?[^?]*\?=(?:\s+=\?UTF-8\?B\?[^?]*\?=)*/gi, (run) =>
    Buffer.concat([...run.matchAll(/=\?UTF-8\?B\?([^?]*)\?=/gi)].map((m) => Buffer.from(m[1] ?? '', 'base64'))).toString(),
  );
  const boundary = /boundary="?([^";\r\n]+)"?/.exec(head)?.[1];
  if (boundary === undefined) return { head, subject, bodies: [{ head, body: decodeBody(head, rest.join('\r\n\r\n')) }] };
  // The line break before a boundary belongs to the boundary (RFC 2046).
  const parts = raw.split(`\r\n--${boundary}`).slice(1, -1);
  const bodies = parts.map((p) => {
    const [partHead = '', ...body] = p.replace(/^\r\n/, '').split('\r\n\r\n');
    return { head: partHead, body: decodeBody(partHead, body.join('\r\n\r\n')) };
  });
  return { head, subject, bodies };
}

/** A body as its Content-Transfer-Encoding says (line ends back to \n for text sent as it is). */
function decodeBody(head: string, body: string): string {
  const encoding = /^Content-Transfer-Encoding: *(\S+)/im.exec(head)?.[1]?.toLowerCase() ?? '7bit';
  if (encoding === 'base64') return Buffer.from(body, 'base64').toString();
  if (encoding === 'quoted-printable') {
    const bytes = body.replace(/=\r\n/g, '').replace(/\r\n/g, '\n');
    return Buffer.from(bytes.replace(/=([0-9A-F]{2})/gi, (_, hex: string) => String.fromCharCode(parseInt(hex, 16))), 'latin1').toString();
  }
  return body.replace(/\r\n/g, '\n');
}
