// What pam_exec hands its child, as a typed context. pam_exec passes only environment
// variables (no PATH): the PAM items as PAM_* (absent when unset, never empty on purpose) and
// every PAM environment variable such as XDG_SESSION_ID. Values are untrusted: each field is
// capped at 256 bytes of UTF-8 and the cut is recorded in `truncated`.

export const fieldCapBytes = 256;

export interface PamContext {
  type: string | null;
  user: string;
  service: string;
  tty: string | null;
  rhost: string | null;
  ruser: string | null;
  xdgSessionId: string | null;
  /** Names of the record fields whose value was cut to the cap. */
  truncated: string[];
}

/**
 * Cuts a string to at most `maxBytes` bytes of UTF-8 without splitting a character.
 * Returns the value unchanged when it fits.
 */
export function capUtf8(value: string, maxBytes = fieldCapBytes): { value: string; cut: boolean } {
  if (value.length * 3 <= maxBytes) return { value, cut: false };
  let bytes = 0;
  let end = 0;
  for (const ch of value) {
    const cp = ch.codePointAt(0) as number;
    const size = cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
    if (bytes + size > maxBytes) return { value: value.slice(0, end), cut: true };
    bytes += size;
    end += ch.length;
  }
  return { value, cut: false };
}

/** Reads the pam_exec environment. Missing PAM_USER or PAM_SERVICE become empty strings. */
export function pamContextFrom(env: Readonly<Record<string, string | undefined>>): PamContext {
  const truncated: string[] = [];
  const take = (name: string, field: string): string | null => {
    const raw = env[name];
    if (raw === undefined) return null;
    const { value, cut } = capUtf8(raw);
    if (cut) truncated.push(field);
    return value;
  };
  const user = take('PAM_USER', 'user') ?? '';
  const tty = take('PAM_TTY', 'tty');
  const rhost = take('PAM_RHOST', 'rhost');
  const ruser = take('PAM_RUSER', 'ruser');
  const service = take('PAM_SERVICE', 'service') ?? '';
  const xdgSessionId = take('XDG_SESSION_ID', 'xdg_session_id');
  return {
    type: env['PAM_TYPE'] ?? null,
    user,
    service,
    // DESIGN.md: the tty is recorded without a leading /dev/ (login passes /dev/tty1).
    tty: tty === null ? null : tty.replace(/^\/dev\//, ''),
    rhost: rhost === '' ? null : rhost,
    ruser: ruser === '' ? null : ruser,
    xdgSessionId,
    truncated,
  };
}
