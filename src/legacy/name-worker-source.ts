// The name worker's source, for `new Worker(source, { eval: true })`. Only the CLI's build has
// it (scripts/build.mjs swaps in name-worker-source-embedded.ts); run from source, imports hash
// on the main thread.
export const nameWorkerSource: string | null = null;
