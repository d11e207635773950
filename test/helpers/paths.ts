// Paths the tests share: the repository and the built bundles under test.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
export const hookBundle = `${repoRoot}dist/logsphere-hook.cjs`;
export const cliBundle = `${repoRoot}dist/logsphere.cjs`;
export const nodePath = '/usr/bin/node';

export function requireBuilt(): void {
  if (!existsSync(hookBundle) || !existsSync(cliBundle)) {
    throw new Error(`Cannot find the bundles in ${repoRoot}dist: run npm run build first`);
  }
}
