// The CLI's nodemailer: its bundled CommonJS source kept as a string in the CLI's single file and
// compiled on the first mail. As code it would double the file V8 parses at every start, and its
// imports (tls, https, dns, crypto, child_process) would load with it. scripts/build.mjs provides
// `logsphere:nodemailer-source` and swaps this module in for load-nodemailer.ts.

import { createRequire } from 'node:module';
import type { Nodemailer } from './load-nodemailer.ts';
// @ts-expect-error -- a virtual module that exists only inside the CLI's build
import source from 'logsphere:nodemailer-source';

let loaded: Nodemailer | null = null;

export async function loadNodemailer(): Promise<Nodemailer> {
  if (loaded !== null) return loaded;
  const module = { exports: {} as Partial<Nodemailer> };
  const evaluate = new Function('module', 'exports', 'require', source as string);
  evaluate(module, module.exports, createRequire(import.meta.url));
  const { createTransport } = module.exports;
  if (typeof createTransport !== 'function') throw new TypeError('Cannot load the embedded nodemailer');
  loaded = { createTransport };
  return loaded;
}
