// Loads nodemailer when a mail is about to be sent: from its text embedded in the CLI's bundle
// (src/bundle/embedded.ts), compiled on the first mail, or, run from the sources, the package.
// The text (about 280 KB) is a piece of the bundle of its own, imported here only: the commands
// that may mail (watch, report) load it when they mail, not at every run.

import type { createTransport } from 'nodemailer';
import { compileCommonJs } from '../bundle/embedded.ts';

export interface Nodemailer {
  createTransport: typeof createTransport;
}

let loaded: Nodemailer | null = null;

export async function loadNodemailer(): Promise<Nodemailer> {
  if (loaded !== null) return loaded;
  const { embeddedNodemailer } = await import('../bundle/nodemailer-text.ts');
  if (embeddedNodemailer === null) {
    loaded = { createTransport: (await import('nodemailer')).createTransport };
    return loaded;
  }
  const exports = await compileCommonJs(embeddedNodemailer);
  if (typeof exports['createTransport'] !== 'function') throw new TypeError('Cannot load the embedded nodemailer');
  loaded = { createTransport: exports['createTransport'] as typeof createTransport };
  return loaded;
}
