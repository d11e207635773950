// What a command may touch of the process, passed in so commands stay testable.

export interface CommandIO {
  env: Readonly<Record<string, string | undefined>>;
  stdout: (text: string) => void;
  stderr: (text: string) => void;
}
