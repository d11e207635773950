// The name worker (src/legacy/name-worker.ts) bundled as one CommonJS text by scripts/build.mjs.
// @ts-expect-error -- a virtual module that exists only inside the CLI's build
import source from 'logsphere:name-worker-source';

export const nameWorkerSource: string | null = source as string;
