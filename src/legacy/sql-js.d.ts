// What LogSphere uses of sql.js (SQLite compiled to WebAssembly), which ships no types of its own.

declare module 'sql.js' {
  /** A column's value: INTEGER and REAL as numbers, TEXT as strings, BLOB as bytes. */
  export type SqlValue = number | string | Uint8Array | null;

  export interface Statement {
    /** Moves to the next row; false when there is none. */
    step(): boolean;
    /** The current row's values, in the order of the SELECT. */
    get(): SqlValue[];
    free(): boolean;
  }

  export interface Database {
    prepare(sql: string): Statement;
    close(): void;
  }

  export interface SqlJsStatic {
    /** A database in memory, made from the bytes of an SQLite file (copied). */
    Database: new (data?: Uint8Array) => Database;
  }

  export interface SqlJsConfig {
    /** The WebAssembly module's bytes: given, nothing is read from disk or fetched. */
    wasmBinary?: Uint8Array;
    print?: (text: string) => void;
    printErr?: (text: string) => void;
  }

  export type InitSqlJs = (config?: SqlJsConfig) => Promise<SqlJsStatic>;

  const initSqlJs: InitSqlJs;
  export default initSqlJs;
}
