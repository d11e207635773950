// Paths the tests share: the repository and the built bundles under test.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
/**
 * The node the tests run the programs with, and the programs: by default /usr/bin/node and
 * dist/; scripts/test-node18.sh points them at Debian 12's own Node.js 18 and at copies of the
 * programs whose first line names it (LOGSPHERE_TEST_NODE, LOGSPHERE_TEST_DIST).
 */
export const nodePath = process.env['LOGSPHERE_TEST_NODE'] ?? '/usr/bin/node';
const dist = process.env['LOGSPHERE_TEST_DIST'] ?? `${repoRoot}dist`;
export const hookBundle = `${dist}/logsphere-hook.cjs`;
export const cliBundle = `${dist}/logsphere.cjs`;

export function requireBuilt(): void {
  if (!existsSync(hookBundle) || !existsSync(cliBundle)) {
    throw new Error(`Cannot find the bundles in ${repoRoot}dist: run npm run build first`);
  }
}
