// What LogSphere uses of pgpass (node-postgres's reader of ~/.pgpass), which ships no types of its own.

declare module 'pgpass' {
  /** The password ~/.pgpass (or PGPASSFILE) gives for a connection; undefined when none does. */
  function pgpass(connection: { host?: string; port?: number | string; database?: string; user?: string }, done: (password: string | undefined) => void): void;
  namespace pgpass {
    /** Where its warnings go (a file others may read, one that is not a plain file); returns the stream before. */
    function warnTo(stream: NodeJS.WritableStream): NodeJS.WritableStream;
  }
  export default pgpass;
}
