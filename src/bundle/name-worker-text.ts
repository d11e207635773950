// The import's name worker as CommonJS text in the CLI's bundle (src/bundle/embedded.ts); null
// elsewhere.

declare const LOGSPHERE_EMBEDDED_NAME_WORKER: string | undefined;

export const embeddedNameWorker: string | null = typeof LOGSPHERE_EMBEDDED_NAME_WORKER === 'string' ? LOGSPHERE_EMBEDDED_NAME_WORKER : null;
