// Bundles the hook and the CLI into single-file ESM entry points (dist/), so that an installed
// host needs no node_modules. Run by `npm run build`.
import { chmodSync } from 'node:fs';
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
  // build reads crypto only inside rng(), which the hook never calls (src/record/ids.ts).
  alias: { uuid: './node_modules/uuid/dist/index.js' },
};

const shebang = '#!/usr/bin/node';
// CommonJS dependencies (env-schema, pino) call require() for Node built-ins. The hook defines
// no require at start (loading node:module costs every login): src/diag/logger.ts provides one
// when pino is first needed. The CLI defines it up front.
const requireShim = "import { createRequire as __logsphereRequire } from 'node:module';\nconst require = __logsphereRequire(import.meta.url);";

const entries = [
  ['src/hook/main.ts', 'dist/logsphere-hook.mjs', shebang],
  ['src/cli/main.ts', 'dist/logsphere.mjs', `${shebang}\n${requireShim}`],
];

await Promise.all(
  entries.map(([entry, outfile, banner]) => build({ ...common, entryPoints: [entry], outfile, banner: { js: banner } })),
);
for (const [, outfile] of entries) chmodSync(`${root}${outfile}`, 0o755);
