// The CLI's validator: env-schema over the merged file and environment values.

import envSchema from 'env-schema';
import { issuesFromAjv, type EnvValidator } from './config.ts';
import { configSchema, type ValidatedEnv } from './schema.ts';

export const validateWithEnvSchema: EnvValidator = (data) => {
  try {
    const env = envSchema<ValidatedEnv>({
      schema: structuredClone(configSchema) as unknown as Record<string, unknown>,
      data: { ...data },
      env: false,
    });
    return { ok: true, env };
  } catch (error) {
    const errors = (error as { errors?: unknown }).errors;
    if (!Array.isArray(errors)) throw error;
    return { ok: false, issues: issuesFromAjv(errors, data) };
  }
};
