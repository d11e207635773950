import { describe, expect, it } from 'vitest';
import { coloured } from '../../text/colour.ts';
import { formatChecks } from './doctor.ts';

describe('formatChecks()', () => {
  it('prints one line per check: status, name, detail', () => {
    expect(formatChecks([
      { status: 'OK', name: 'node', detail: 'v20.20.2 at /usr/bin/node' },
      { status: 'FAIL', name: 'hook', detail: '/usr/local/lib/logsphere/logsphere-hook is missing' },
    ])).toBe('OK    node: v20.20.2 at /usr/bin/node\nFAIL  hook: /usr/local/lib/logsphere/logsphere-hook is missing\n');
  });

  const long = {
    status: 'WARN' as const,
    name: 'failed logins',
    detail: 'not recorded: no auth line calls the hook; run scripts/install.sh --failed-logins to add one to /etc/pam.d/common-auth',
  };

  it('wraps a long detail under itself to the width, the words kept', () => {
    const text = formatChecks([long], 60);
    const lines = text.trimEnd().split('\n');
    expect(lines.length).toBeGreaterThan(1);
    for (const line of lines) expect([...line].length).toBeLessThanOrEqual(60);
    expect(lines.slice(1).every((l) => /^ {6}\S/.test(l))).toBe(true);
    expect(text.split(/\s+/).filter(Boolean)).toEqual(`WARN failed logins: ${long.detail}`.split(' '));
  });

  it('paints the status only, when told to', () => {
    expect(formatChecks([{ status: 'OK', name: 'node', detail: 'v20' }, long], 200, coloured)).toBe(
      `\u001b[32mOK\u001b[0m    node: v20\n\u001b[33mWARN\u001b[0m  failed logins: ${long.detail}\n`,
    );
  });
});
