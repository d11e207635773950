// A login storm: 500 sessions opening and closing at once, each pair from its own parent
// process as under sshd. No line may be lost, torn or duplicated.
import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scratch } from '../helpers/hook.ts';
import { readLines, validateAgainstSchema } from '../helpers/log.ts';
import { hookBundle, nodePath, requireBuilt } from '../helpers/paths.ts';

const sessions = 500;

describe('500 simultaneous sessions', () => {
  const s = scratch();
  beforeAll(requireBuilt);
  afterAll(() => s.cleanup());

  it('leave 1000 well-formed lines, unique event ids, every open with its close', async () => {
    // One shell per session runs open then close, so both hooks have the same parent (the key).
    const script = `
      export PAM_USER=storm PAM_SERVICE=sshd PAM_RHOST=192.0.2.$(( $1 % 250 )) PAM_TTY=pts/$1
      PAM_TYPE=open_session ${nodePath} ${hookBundle}
      PAM_TYPE=close_session ${nodePath} ${hookBundle}`;
    const env = s.env({ LOGSPHERE_FSYNC: 'true' });
    const started = Array.from({ length: sessions }, (_, i) =>
      new Promise<number | null>((resolve, reject) => {
        const child = spawn('/bin/sh', ['-c', script, 'storm', String(i)], { env, stdio: 'ignore' });
        child.on('error', reject);
        child.on('close', resolve);
      }),
    );
    expect(new Set(await Promise.all(started))).toEqual(new Set([0]));

    const lines = readLines(s.logFile);
    expect(lines).toHaveLength(2 * sessions);
    const records = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    const invalid = records.filter((r) => !validateAgainstSchema(r));
    expect(invalid).toEqual([]);
    expect(new Set(records.map((r) => r['event_id'])).size).toBe(2 * sessions);
    const opens = records.filter((r) => r['event'] === 'session_open');
    const closes = records.filter((r) => r['event'] === 'session_close');
    expect(opens).toHaveLength(sessions);
    expect(closes).toHaveLength(sessions);
    const closeBySession = new Map(closes.map((c) => [c['session_id'], c]));
    for (const open of opens) {
      const close = closeBySession.get(open['session_id']);
      expect(close, `no close for ${String(open['tty'])}`).toBeDefined();
      expect(close?.['tty']).toBe(open['tty']);
      expect(close?.['pid']).toBe(open['pid']);
    }
  }, 300_000);
});
