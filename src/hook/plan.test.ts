import { describe, expect, it } from 'vitest';
import { planHook } from './plan.ts';

const ignore = ['cron', 'systemd-user'];

describe('planHook()', () => {
  it.each([
    [[], 'open_session', 'sshd', 'open'],
    [[], 'close_session', 'login', 'close'],
    [['auth-failure'], 'auth', 'sshd', 'auth-failure'],
    [['boot'], null, '', 'boot'],
    [['shutdown'], null, '', 'shutdown'],
    [[], 'open_session', 'cron', 'skip'],
    [['auth-failure'], 'auth', 'cron', 'skip'],
    [[], 'auth', 'sshd', 'skip'],
    [[], 'account', 'sshd', 'skip'],
    [[], null, '', 'skip'],
    [['reboot'], null, '', 'skip'],
    [['boot', 'extra'], null, '', 'skip'],
  ] as const)('args %j, PAM_TYPE %s, service %j → %s', (args, type, service, kind) => {
    expect(planHook(args, type, service, ignore).kind).toBe(kind);
  });

  it('marks unknown commands as unexpected, ignored services as expected', () => {
    expect(planHook(['reboot'], null, '', ignore)).toMatchObject({ kind: 'skip', unexpected: true });
    expect(planHook([], 'open_session', 'cron', ignore)).toMatchObject({ kind: 'skip', unexpected: false });
  });
});
