// Private PAM services for tests: a unique file in /etc/pam.d, removed afterwards.
import { randomBytes } from 'node:crypto';
import { rmSync, writeFileSync } from 'node:fs';

export interface PamService {
  name: string;
  path: string;
  remove(): void;
}

export function pamService(prefix: string, lines: string[]): PamService {
  const name = `${prefix}-${randomBytes(4).toString('hex')}`;
  const path = `/etc/pam.d/${name}`;
  writeFileSync(path, `${lines.join('\n')}\n`, { mode: 0o644 });
  return { name, path, remove: () => rmSync(path, { force: true }) };
}

/** Runs open and close, then returns records; a helper for the session tests. */
export function hookLine(type: 'session' | 'auth', hookCommand: string): string {
  return `${type} optional pam_exec.so quiet ${hookCommand}`;
}
