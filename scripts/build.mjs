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
  // No require() shim here: src/diag/logger.ts provides one when pino is first loaded.
  banner: { js: '#!/usr/bin/node' },
  // uuid's "node" build imports node:crypto at load (about 6 ms for every login); its plain
  // build reads crypto only inside rng(), which the hook never calls (src/record/ids.ts).
  alias: { uuid: './node_modules/uuid/dist/index.js' },
};

const entries = [
  ['src/hook/main.ts', 'dist/logsphere-hook.mjs'],
  ['src/cli/main.ts', 'dist/logsphere.mjs'],
];

await Promise.all(
  entries.map(([entry, outfile]) => build({ ...common, entryPoints: [entry], outfile })),
);
for (const [, outfile] of entries) chmodSync(`${root}${outfile}`, 0o755);
