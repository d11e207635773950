// The CLI's configuration: the same loader as the hook, validated with env-schema.

import { readFileSync } from 'node:fs';
import { configPathFrom, loadConfig, type Config } from '../config/config.ts';
import { validateWithEnvSchema } from '../config/validate-env-schema.ts';
import { errorCode } from '../store/errors.ts';

export function cliConfig(env: Readonly<Record<string, string | undefined>>): Config {
  const filePath = configPathFrom(env);
  let fileText: string | null = null;
  try {
    fileText = readFileSync(filePath, 'utf8');
  } catch (error) {
    if (errorCode(error) !== 'ENOENT') throw error;
  }
  return loadConfig({ env, fileText, filePath }, validateWithEnvSchema);
}
