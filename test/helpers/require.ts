// Real-component tests need root and Debian packages. Locally they are skipped when something is
// missing; with LOGSPHERE_REQUIRE_E2E=1 (set by scripts/test.sh in CI) a missing component fails
// the run instead.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';

export const e2eRequired = process.env['LOGSPHERE_REQUIRE_E2E'] === '1';

export function hasCommand(path: string): boolean {
  return existsSync(path);
}

export function isRoot(): boolean {
  return process.getuid?.() === 0;
}

/** What is missing for a test, or null. Throws when components are required. */
export function missing(needs: { root?: boolean; commands?: string[] }): string | null {
  const lacks: string[] = [];
  if (needs.root && !isRoot()) lacks.push('root');
  for (const c of needs.commands ?? []) if (!hasCommand(c)) lacks.push(c);
  if (lacks.length === 0) return null;
  const message = `missing ${lacks.join(', ')}`;
  if (e2eRequired) throw new Error(`A required real-component test cannot run: ${message}`);
  return message;
}

export function run(cmd: string, args: string[], input?: string): string {
  return execFileSync(cmd, args, { encoding: 'utf8', input: input ?? '', stdio: ['pipe', 'pipe', 'pipe'] });
}
