// The rules `logsphere watch` runs: the rules file (LOGSPHERE_RULES or --rules), or the built-in
// rules when the default file does not exist.

import { readFileSync } from 'node:fs';
import { defaultRules, parseRules, type Rule } from './rules.ts';

export interface LoadedRules {
  rules: Rule[];
  /** What is wrong in the file, one message each. */
  errors: string[];
  /** Rules left out for being invalid. */
  invalid: number;
  /** The file read, or `built-in rules`. */
  source: string;
}

/**
 * Reads the rules file at `path`; `named` says whether the user named it (then a missing file
 * is an error, else the built-in rules apply). Local times of the rules are in `zone` unless a
 * rule says otherwise.
 */
export function loadRulesFile(path: string, named: boolean, zone: string): LoadedRules {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === 'ENOENT' && !named) return { rules: defaultRules(zone), errors: [], invalid: 0, source: 'built-in rules' };
    throw new Error(`Cannot read the rules file ${path}: ${code ?? String(error)}`);
  }
  return { ...parseRules(text, zone), source: path };
}
