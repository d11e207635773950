// pino's CommonJS text in the hook's bundle (src/bundle/embedded.ts); null elsewhere.

declare const LOGSPHERE_EMBEDDED_PINO: string | undefined;

export const embeddedPino: string | null = typeof LOGSPHERE_EMBEDDED_PINO === 'string' ? LOGSPHERE_EMBEDDED_PINO : null;
