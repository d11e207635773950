// scripts/demo.sh shows the three kinds of session and leaves nothing behind.
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../helpers/paths.ts';
import { missing } from '../helpers/require.ts';

describe.skipIf(missing({ root: true, commands: ['/usr/sbin/sshd', '/usr/bin/ssh'] }))('scripts/demo.sh', () => {
  it('prints sessions and last for real logins, then cleans up', () => {
    const pamBefore = readdirSync('/etc/pam.d').sort();
    const r = spawnSync('bash', [`${repoRoot}scripts/demo.sh`], { encoding: 'utf8', input: '' });
    expect(r.status, r.stderr).toBe(0);
    const [sessionsPart, lastPart] = r.stdout.split('$ logsphere last');
    expect(sessionsPart).toMatch(/ pts\/\d+\s+127\.0\.0\.1/);
    expect(sessionsPart).not.toContain('/dev/');
    expect(sessionsPart?.split('\n').filter((l) => l.startsWith('lsdemo'))).toHaveLength(1);
    expect(lastPart).toMatch(/still logged in/);
    expect(lastPart).toMatch(/gone - no logout/);
    expect(lastPart).toMatch(/ - \d\d:\d\d {2}\(00:0\d\)/);
    expect(readdirSync('/etc/pam.d').sort()).toEqual(pamBefore);
    expect(readFileSync('/etc/passwd', 'utf8')).not.toMatch(/^lsdemo/m);
    expect(readdirSync('/tmp').filter((n) => n.startsWith('logsphere-demo.'))).toEqual([]);
  });
});
