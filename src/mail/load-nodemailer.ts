// Loads nodemailer when a mail is about to be sent. This is the plain version (tests, running from
// the source); the CLI's bundle replaces this module with load-nodemailer-embedded.ts
// (scripts/build.mjs), so that commands that send no mail never parse it.

import type { createTransport } from 'nodemailer';

export interface Nodemailer {
  createTransport: typeof createTransport;
}

export async function loadNodemailer(): Promise<Nodemailer> {
  const { createTransport } = await import('nodemailer');
  return { createTransport };
}
