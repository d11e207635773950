// The columns worker as CommonJS text in the CLI's bundle (src/bundle/embedded.ts); null
// elsewhere.

declare const LOGSPHERE_EMBEDDED_COLUMNS_WORKER: string | undefined;

export const embeddedColumnsWorker: string | null = typeof LOGSPHERE_EMBEDDED_COLUMNS_WORKER === 'string' ? LOGSPHERE_EMBEDDED_COLUMNS_WORKER : null;
