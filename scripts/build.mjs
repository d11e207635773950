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

// pino as one CommonJS text, embedded in the hook and compiled only on first use
// (src/diag/load-pino-embedded.ts).
const pinoBuild = await build({
  ...common,
  format: 'cjs',
  stdin: { contents: "module.exports = { pino: require('pino').pino };", resolveDir: root, loader: 'js' },
  write: false,
  minify: true,
});
const pinoSource = pinoBuild.outputFiles[0].text;

const embedPino = {
  name: 'embed-pino',
  setup(b) {
    b.onResolve({ filter: /^logsphere:pino-source$/ }, () => ({ path: 'pino-source', namespace: 'logsphere' }));
    b.onLoad({ filter: /.*/, namespace: 'logsphere' }, () => ({
      contents: `export default ${JSON.stringify(pinoSource)};`,
      loader: 'js',
    }));
    b.onResolve({ filter: /\/load-pino\.ts$/ }, (args) => ({
      path: `${args.resolveDir}/load-pino-embedded.ts`,
    }));
  },
};

// The import's name worker as one CommonJS text in the CLI's file, started with
// `new Worker(source, { eval: true })` (src/legacy/name-worker-source-embedded.ts).
const nameWorkerBuild = await build({ ...common, format: 'cjs', entryPoints: ['src/legacy/name-worker.ts'], write: false, minify: true });
const nameWorkerSource = nameWorkerBuild.outputFiles[0].text;

const embedNameWorker = {
  name: 'embed-name-worker',
  setup(b) {
    b.onResolve({ filter: /^logsphere:name-worker-source$/ }, () => ({ path: 'name-worker-source', namespace: 'logsphere' }));
    b.onLoad({ filter: /^name-worker-source$/, namespace: 'logsphere' }, () => ({
      contents: `export default ${JSON.stringify(nameWorkerSource)};`,
      loader: 'js',
    }));
    b.onResolve({ filter: /\/name-worker-source\.ts$/ }, (args) => ({
      path: resolve(args.resolveDir, args.path).replace(/\.ts$/, '-embedded.ts'),
    }));
  },
};

// nodemailer as one CommonJS text in the CLI's file, compiled on the first mail sent
// (src/mail/load-nodemailer-embedded.ts): the commands that send none never parse it.
const nodemailerBuild = await build({
  ...common,
  format: 'cjs',
  stdin: { contents: "module.exports = { createTransport: require('nodemailer').createTransport };", resolveDir: root, loader: 'js' },
  write: false,
  minify: true,
});
const nodemailerSource = nodemailerBuild.outputFiles[0].text;

const embedNodemailer = {
  name: 'embed-nodemailer',
  setup(b) {
    b.onResolve({ filter: /^logsphere:nodemailer-source$/ }, () => ({ path: 'nodemailer-source', namespace: 'logsphere' }));
    b.onLoad({ filter: /^nodemailer-source$/, namespace: 'logsphere' }, () => ({
      contents: `export default ${JSON.stringify(nodemailerSource)};`,
      loader: 'js',
    }));
    b.onResolve({ filter: /\/load-nodemailer\.ts$/ }, (args) => ({
      path: resolve(args.resolveDir, args.path).replace(/\.ts$/, '-embedded.ts'),
    }));
    // Nothing else may bring nodemailer in as code.
    b.onResolve({ filter: /^nodemailer(\/|$)/ }, (args) => ({ errors: [{ text: `nodemailer is embedded as text, not imported (from ${args.importer})` }] }));
  },
};

await Promise.all([
  build({ ...common, entryPoints: ['src/hook/main.ts'], outfile: 'dist/logsphere-hook.mjs', banner: { js: shebang }, plugins: [embedPino] }),
  // The CLI's young generation is capped at 8 MB: `last` over a million events then peaks near
  // 135 MB instead of 150 MB (scripts/bench.sh), for a little more time in the collector.
  build({ ...common, entryPoints: ['src/cli/logsphere.ts'], outfile: 'dist/logsphere.mjs', banner: { js: `${shebang} --max-semi-space-size=8\n${requireShim}` }, plugins: [embedNameWorker, embedNodemailer] }),
]);
for (const file of ['dist/logsphere-hook.mjs', 'dist/logsphere.mjs']) chmodSync(`${root}${file}`, 0o755);
