// Where configuration comes from on a host: the config file (if any) and the environment.

import { configPathFrom, type ConfigSources } from './config.ts';
import { errorCode } from '../store/errors.ts';
import { fs } from '../sys/fs.ts';

export function configSources(env: Readonly<Record<string, string | undefined>>): ConfigSources {
  const filePath = configPathFrom(env);
  let fileText: string | null = null;
  try {
    // existsSync first: a thrown ENOENT costs the hook a stack trace, and most hosts have no file.
    if (fs.existsSync(filePath)) fileText = fs.readFileSync(filePath, 'utf8');
  } catch (error) {
    if (errorCode(error) !== 'ENOENT') throw error;
  }
  return { env, fileText, filePath };
}
