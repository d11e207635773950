// Where alerts go besides standard output: a webhook (HTTP POST of the alert's JSON, with a
// timeout per attempt and retries with doubling pauses on network errors, timeouts, 408, 429 and
// 5xx) and mail over SMTP. A delivery that fails for good is reported, never fatal: the alert was
// already printed and kept in the state directory.

import type { MailConfig, WebhookConfig } from '../config/config.ts';
import type { Alert } from './engine.ts';
import { sendMail, type MailMessage } from '../mail/send-mail.ts';

export interface DeliveryLog {
  (message: string): void;
}

export type Sleep = (ms: number) => Promise<void>;

const realSleep: Sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** The pause before retry number `attempt` (0-based): 250 ms doubling, at most 30 s. */
export function retryPause(attempt: number): number {
  return Math.min(30_000, 250 * 2 ** attempt);
}

/** Posts one alert; true when the endpoint took it (2xx). */
export async function postWebhook(config: WebhookConfig, alert: Alert, log: DeliveryLog, sleep: Sleep = realSleep): Promise<boolean> {
  const body = JSON.stringify(alert);
  let problem = '';
  const attempts = config.retries + 1;
  for (let attempt = 0; attempt < attempts; attempt++) {
    if (attempt > 0) await sleep(retryPause(attempt - 1));
    try {
      const response = await fetch(config.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'user-agent': 'logsphere-watch' },
        body,
        signal: AbortSignal.timeout(config.timeoutMs),
        redirect: 'error',
      });
      await response.arrayBuffer().catch(() => undefined);
      if (response.ok) return true;
      problem = `HTTP ${response.status}`;
      const retryable = response.status >= 500 || response.status === 408 || response.status === 429;
      if (!retryable) break;
    } catch (error) {
      const e = error as Error & { cause?: { code?: string } };
      problem = e.name === 'TimeoutError' ? `no answer within ${config.timeoutMs} ms` : (e.cause?.code ?? e.message);
    }
  }
  log(`webhook: gave up on alert ${alert.alert_id} (${alert.rule}) after ${attempts} attempt${attempts === 1 ? '' : 's'}: ${problem}`);
  return false;
}

export function alertMail(alert: Alert): MailMessage {
  return {
    subject: `[LogSphere] ${alert.severity}: ${alert.message}`,
    parts: [{ contentType: 'text/plain', body: `${alert.message}\n\n${JSON.stringify(alert, null, 2)}\n` }],
  };
}

/** Mails one alert; true when the server accepted it (for one recipient at least). */
export async function mailAlert(config: MailConfig, alert: Alert, log: DeliveryLog): Promise<boolean> {
  try {
    const sent = await sendMail(config, alertMail(alert));
    if (sent.rejected.length > 0) log(`mail: ${config.host}:${config.port} refused alert ${alert.alert_id} (${alert.rule}) for ${sent.rejected.join(', ')}`);
    return true;
  } catch (error) {
    log(`mail: could not send alert ${alert.alert_id} (${alert.rule}): ${(error as Error).message}`);
    return false;
  }
}
