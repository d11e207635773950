// The one condition callers of the store catch by type: a path that must not be written through.

export class RefusedPathError extends Error {
  override name = 'RefusedPathError';
  readonly path: string;
  constructor(path: string, what: string) {
    super(`Refusing to write through ${path}: ${what}`);
    this.path = path;
  }
}

/** The errno code of a Node system error, or undefined. */
export function errorCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

export function describeFileType(mode: number): string {
  switch (mode & 0o170000) {
    case 0o120000: return 'a symbolic link';
    case 0o010000: return 'a FIFO';
    case 0o020000: return 'a character device';
    case 0o060000: return 'a block device';
    case 0o140000: return 'a socket';
    case 0o040000: return 'a directory';
    case 0o100000: return 'a regular file';
    default: return 'not a regular file';
  }
}
