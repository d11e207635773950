import { describe, expect, it } from 'vitest';
import { formatChecks } from './doctor.ts';

describe('formatChecks()', () => {
  it('prints one line per check: status, name, detail', () => {
    expect(formatChecks([
      { status: 'OK', name: 'node', detail: 'v20.20.2 at /usr/bin/node' },
      { status: 'FAIL', name: 'hook', detail: '/usr/local/lib/logsphere/logsphere-hook is missing' },
    ])).toBe('OK    node: v20.20.2 at /usr/bin/node\nFAIL  hook: /usr/local/lib/logsphere/logsphere-hook is missing\n');
  });
});
