// Node's built-in modules, loaded where they are used rather than imported at the top: an ESM
// `import` of a built-in builds its whole module namespace at start-up (node:fs's lazy getters
// load the stream modules: about 4 ms of every login), and most runs never need zlib or
// worker_threads at all. process.getBuiltinModule (Node.js 20.16, 22.3) hands a built-in over;
// older releases — Debian 12's and Ubuntu 24.04's Node.js 18 — take it from require(), which
// the bundles (CommonJS) and their worker threads (evaluated as CommonJS) provide.

export function builtin<T>(id: `node:${string}`): T {
  const get = process.getBuiltinModule as ((id: string) => unknown) | undefined;
  return (typeof get === 'function' ? get(id) : require(id)) as T;
}
