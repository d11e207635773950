import { describe, expect, it } from 'vitest';
import { capUtf8, pamContextFrom } from './context.ts';

describe('capUtf8()', () => {
  it('keeps values that fit', () => {
    expect(capUtf8('alice')).toEqual({ value: 'alice', cut: false });
    expect(capUtf8('é'.repeat(128))).toEqual({ value: 'é'.repeat(128), cut: false });
  });

  it('cuts at 256 bytes without splitting a character', () => {
    const { value, cut } = capUtf8('€'.repeat(100)); // 3 bytes each
    expect(cut).toBe(true);
    expect(Buffer.byteLength(value)).toBe(255);
    expect(value).toBe('€'.repeat(85));
    const emoji = capUtf8(`${'a'.repeat(254)}😀`);
    expect(emoji).toEqual({ value: 'a'.repeat(254), cut: true });
  });
});

describe('pamContextFrom()', () => {
  it('reads the pam_exec variables', () => {
    const ctx = pamContextFrom({
      PAM_TYPE: 'open_session',
      PAM_USER: 'alice',
      PAM_SERVICE: 'sshd',
      PAM_TTY: '/dev/tty1',
      PAM_RHOST: '203.0.113.7',
      PAM_RUSER: 'bob',
      XDG_SESSION_ID: '42',
    });
    expect(ctx).toEqual({
      type: 'open_session',
      user: 'alice',
      service: 'sshd',
      tty: 'tty1',
      rhost: '203.0.113.7',
      ruser: 'bob',
      xdgSessionId: '42',
      truncated: [],
    });
  });

  it('turns absent items into null and records what it cut', () => {
    const ctx = pamContextFrom({ PAM_USER: 'x'.repeat(1_000_000), PAM_SERVICE: 'login', PAM_RHOST: 'h'.repeat(300) });
    expect(ctx.type).toBeNull();
    expect(ctx.tty).toBeNull();
    expect(ctx.ruser).toBeNull();
    expect(ctx.user).toHaveLength(256);
    expect(ctx.rhost).toHaveLength(256);
    expect(ctx.truncated).toEqual(['user', 'rhost']);
  });
});
