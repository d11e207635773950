// What a command may touch of the process, passed in so commands stay testable.

export interface CommandIO {
  env: Readonly<Record<string, string | undefined>>;
  /** Bytes may be kept by the writer: hand over a buffer that is not written to again. */
  stdout: (text: string | Uint8Array) => void;
  stderr: (text: string) => void;
}
