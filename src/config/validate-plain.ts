// The hook's validator: the rules of schema.ts checked by a few lines of plain code, with the
// outcome of the Ajv validator the CLI uses (validate-compiled.ts, env-schema) — same values
// accepted, same coercions, same issues in the same order — for values read from a file, which
// are strings. Ajv's generated code is 30 KB that every login whose config file sets something
// would compile and run (about a millisecond); this walks the schema instead, compiling only the
// patterns of the variables set. validate-plain.test.ts holds both to the same answers for every
// variable, and fails when the schema uses a keyword this file does not know.
//
// Ajv's rules, as its options for env-schema make them (coerceTypes, useDefaults, allErrors):
// - a string is coerced to an integer when `value == +value` and it has no fraction (so " 12 ",
//   "0x10", "1e3" and "Infinity" are numbers), to a boolean only from "true" and "false";
// - a value that could not be coerced keeps its type error, and number keywords pass over it;
// - number keywords check finite numbers only; anyOf keeps its branches' errors only when no
//   branch passes, and stops at the first that does; within a property the keywords go type,
//   anyOf, maximum, minimum; patterns are Unicode regular expressions.

import type { ConfigIssue, EnvValidator } from './config.ts';
import { configSchema, schemaDefaults, type ValidatedEnv } from './schema.ts';

type Rule = {
  readonly type?: string;
  readonly pattern?: string;
  readonly minimum?: number;
  readonly maximum?: number;
  readonly const?: unknown;
  readonly anyOf?: readonly Rule[];
};

/** The keywords understood here (validate-plain.test.ts checks the schema uses no others). */
export const plainKeywords: readonly string[] = ['type', 'pattern', 'minimum', 'maximum', 'const', 'anyOf', 'default'];

function coerce(type: string | undefined, value: string): unknown {
  if (type === 'integer') {
    const number = +value;
    // Ajv: `data && data == +data && !(data % 1)`; the string's own % is the number's.
    return value !== '' && value == (number as unknown as string) && !(number % 1) ? number : undefined;
  }
  if (type === 'boolean') return value === 'true' ? true : value === 'false' ? false : undefined;
  return value;
}

/**
 * Whether `value` matches `pattern`, a Unicode regular expression. `^/` (an absolute path: the
 * directories, the usual values of a config file) is tested without compiling a regular
 * expression, which would cost the hook at every login.
 */
function matches(pattern: string, value: string): boolean {
  return pattern === '^/' ? value.startsWith('/') : new RegExp(pattern, 'u').test(value);
}

/** The messages of the keywords that fail for `value`, as Ajv words them. */
function failures(rule: Rule, value: unknown, out: string[]): void {
  if (rule.const !== undefined && value !== rule.const) out.push('must be equal to constant');
  if (rule.anyOf !== undefined) {
    const branches: string[] = [];
    if (!rule.anyOf.some((branch) => { const before = branches.length; failures(branch, value, branches); return branches.length === before; })) {
      out.push(...branches, 'must match a schema in anyOf');
    }
  }
  if (typeof value === 'number' && Number.isFinite(value)) {
    if (rule.maximum !== undefined && value > rule.maximum) out.push(`must be <= ${rule.maximum}`);
    if (rule.minimum !== undefined && value < rule.minimum) out.push(`must be >= ${rule.minimum}`);
  }
  if (typeof value === 'string' && rule.pattern !== undefined && !matches(rule.pattern, value)) {
    out.push(`must match pattern "${rule.pattern}"`);
  }
}

export const validatePlain: EnvValidator = (data) => {
  const env: Record<string, unknown> = { ...schemaDefaults() };
  const issues: ConfigIssue[] = [];
  const rules: Readonly<Record<string, Rule>> = configSchema.properties;
  for (const variable in rules) {
    const text = data[variable];
    if (text === undefined) continue;
    const rule = rules[variable] as Rule;
    const messages: string[] = [];
    let value = coerce(rule.type, text);
    if (value === undefined) {
      messages.push(`must be ${rule.type}`);
      value = text;
    }
    env[variable] = value;
    failures(rule, value, messages);
    for (const message of messages) issues.push({ variable, message: `${message} (got ${JSON.stringify(text)})` });
  }
  return issues.length === 0 ? { ok: true, env: env as unknown as ValidatedEnv } : { ok: false, issues };
};
