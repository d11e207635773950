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
