// Reading a session log in tests: every line parsed, the JSON Schema applied.
import { readFileSync } from 'node:fs';
import { Ajv2020 } from 'ajv/dist/2020.js';
import schema from '../../src/record/logsphere-1.schema.json' with { type: 'json' };

const ajv = new Ajv2020({ allErrors: true });
export const validateAgainstSchema = ajv.compile(schema);

export type JsonRecord = Record<string, unknown> & { event: string; event_id: string; ts: string };

export function readLines(path: string): string[] {
  const text = readFileSync(path, 'utf8');
  return text.split('\n').filter((l, i, all) => !(i === all.length - 1 && l === ''));
}

/** Parses every line, failing the test on a line that is not a valid logsphere/1 record. */
export function readRecords(path: string): JsonRecord[] {
  return readLines(path).map((line, i) => {
    const record = JSON.parse(line) as JsonRecord;
    if (!validateAgainstSchema(record)) {
      throw new Error(`line ${i + 1} of ${path} does not match the schema: ${ajv.errorsText(validateAgainstSchema.errors)}\n${line}`);
    }
    return record;
  });
}
