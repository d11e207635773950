import { describe, expect, it } from 'vitest';
import { watchCheckpointPath } from './watch-checkpoint.ts';

describe('watchCheckpointPath()', () => {
  it.each([
    ['a plain watch of the configured log (the service)', { name: null, input: null, once: false }, '/var/lib/logsphere/watch.checkpoint.json'],
    ['a run of another log', { name: null, input: '/srv/old-logs', once: false }, null],
    ['a one-off run', { name: null, input: null, once: true }, null],
    ['a one-off run of another log', { name: null, input: '/srv/old-logs', once: true }, null],
    ['a named checkpoint', { name: 'cron', input: null, once: true }, '/var/lib/logsphere/watch-cron.json'],
    ['a named checkpoint of another log', { name: 'old', input: '/srv/old-logs', once: false }, '/var/lib/logsphere/watch-old.json'],
  ])('gives %s %s', (_what, choice, path) => {
    expect(watchCheckpointPath('/var/lib/logsphere', choice)).toBe(path);
  });

  it('refuses a name that could leave the state directory', () => {
    expect(() => watchCheckpointPath('/var/lib/logsphere', { name: '../x', input: null, once: false })).toThrow(RangeError);
  });
});
