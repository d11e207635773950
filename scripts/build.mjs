// Bundles the hook and the CLI into single-file ESM entry points (dist/), so that an installed
// host needs no node_modules. Run by `npm run build`.
import { chmodSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = fileURLToPath(new URL('..', import.meta.url));

const common = {
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  logLevel: 'warning',
  legalComments: 'none',
  absWorkingDir: root,
  // uuid's "node" build imports node:crypto at load (about 6 ms for every login); its plain
  // build reads crypto only inside rng(), which is never called (src/record/ids.ts).
  alias: { uuid: './node_modules/uuid/dist/index.js' },
};

const shebang = '#!/usr/bin/node';
// CommonJS dependencies (env-schema) call require() for Node built-ins: the CLI defines it.
const requireShim = "import { createRequire as __logsphereRequire } from 'node:module';\nconst require = __logsphereRequire(import.meta.url);";

/** A package (or entry file) bundled as one CommonJS text, to embed in a bundle as a string. */
async function commonJsText(options) {
  const out = await build({ ...common, format: 'cjs', write: false, minify: true, ...options });
  return out.outputFiles[0].text;
}

// What each bundle carries as text, compiled only on first use: the constants of
// src/bundle/embedded.ts, set here and nowhere else. The packages themselves stay out of the
// bundle as code (external): the loaders import them only when run from the sources.
const embeddedInHook = {
  LOGSPHERE_EMBEDDED_PINO: await commonJsText({ stdin: { contents: "module.exports = { pino: require('pino').pino };", resolveDir: root, loader: 'js' } }),
};
const embeddedInCli = {
  LOGSPHERE_EMBEDDED_NAME_WORKER: await commonJsText({ entryPoints: ['src/legacy/name-worker.ts'] }),
  LOGSPHERE_EMBEDDED_NODEMAILER: await commonJsText({ stdin: { contents: "module.exports = { createTransport: require('nodemailer').createTransport };", resolveDir: root, loader: 'js' } }),
};
const define = (texts) => Object.fromEntries(Object.entries(texts).map(([name, text]) => [name, JSON.stringify(text)]));

await Promise.all([
  build({ ...common, entryPoints: ['src/hook/main.ts'], outfile: 'dist/logsphere-hook.mjs', banner: { js: shebang }, define: define(embeddedInHook), external: ['pino'] }),
  // The CLI's young generation is capped at 8 MB: `last` over a million events then peaks near
  // 135 MB instead of 150 MB (scripts/bench.sh), for a little more time in the collector.
  build({ ...common, entryPoints: ['src/cli/logsphere.ts'], outfile: 'dist/logsphere.mjs', banner: { js: `${shebang} --max-semi-space-size=8\n${requireShim}` }, define: define(embeddedInCli), external: ['nodemailer'] }),
]);
for (const file of ['dist/logsphere-hook.mjs', 'dist/logsphere.mjs']) chmodSync(`${root}${file}`, 0o755);
