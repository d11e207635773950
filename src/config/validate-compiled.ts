// The hook's validator: the Ajv code generated from schema.ts at development time, so validation
// costs microseconds at every login instead of compiling a schema.

import { validate } from './validate-env.generated.js';
import { issuesFromAjv, type EnvValidator } from './config.ts';
import type { ValidatedEnv } from './schema.ts';

export const validateCompiled: EnvValidator = (data) => {
  const copy: Record<string, unknown> = { ...data };
  if (validate(copy)) return { ok: true, env: copy as unknown as ValidatedEnv };
  return { ok: false, issues: issuesFromAjv(validate.errors ?? [], data) };
};
