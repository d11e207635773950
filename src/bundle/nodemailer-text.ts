// nodemailer's CommonJS text in the CLI's bundle (src/bundle/embedded.ts); null elsewhere.

declare const LOGSPHERE_EMBEDDED_NODEMAILER: string | undefined;

export const embeddedNodemailer: string | null = typeof LOGSPHERE_EMBEDDED_NODEMAILER === 'string' ? LOGSPHERE_EMBEDDED_NODEMAILER : null;
