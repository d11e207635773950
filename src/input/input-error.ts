// The error of an input that cannot be read (missing, permission, not gzip, decompressing past
// its limit): it names the path and the reason, and the CLI exits 1 on it.

export class InputError extends Error {
  override name = 'InputError';
  readonly path: string;
  readonly code: string | undefined;
  /** The reason alone, without the path. */
  readonly detail: string;
  constructor(path: string, code: string | undefined, detail: string) {
    super(`Cannot read ${path}: ${detail}`);
    this.path = path;
    this.code = code;
    this.detail = detail;
  }
}

/** The InputError of a system error met on `path`, its reason in words where they are known. */
export function inputErrorOf(path: string, error: unknown): InputError {
  const code = (error as { code?: string } | null)?.code;
  if (code === 'EACCES' || code === 'EPERM') return new InputError(path, code, `permission denied (${code})`);
  if (code === 'ENOENT') return new InputError(path, code, 'no such file or directory');
  return new InputError(path, code, code ?? String(error));
}
