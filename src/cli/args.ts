// The one argument parser of the commands: node:util parseArgs, with getopt's rule for values
// that start with `-`. parseArgs refuses `--since -7d` and `-n -5` as ambiguous; getopt, and so
// every util-linux and coreutils tool, takes the word after an option that needs a value as that
// value whatever it looks like. The words are joined into the attached form parseArgs accepts
// (`--since=-7d`, `-n-5`) before parsing, so error messages and exit codes stay parseArgs'.

import { parseArgs, type ParseArgsConfig } from 'node:util';
import { UsageError } from './usage.ts';

type Options = NonNullable<ParseArgsConfig['options']>;

/** Whether a short option group (`-n`, `-xn`) ends with an option that takes the next word as its value. */
function groupTakesNextWord(group: string, options: Options): boolean {
  for (let i = 1; i < group.length; i++) {
    const letter = group[i];
    const option = Object.values(options).find((o) => o.short === letter);
    if (option === undefined) return false; // parseArgs names the unknown option
    if (option.type === 'string') return i === group.length - 1; // otherwise the rest is its value
  }
  return false;
}

/**
 * `args` with every `--opt VALUE` and `-o VALUE` whose VALUE starts with `-` joined into
 * `--opt=VALUE` and `-oVALUE`, for the options of type string in `options`. Nothing after `--`
 * is touched.
 */
export function attachDashValues(args: readonly string[], options: Options): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const word = args[i] as string;
    if (word === '--') {
      out.push(...args.slice(i));
      break;
    }
    const next = args[i + 1];
    if (next !== undefined && next.startsWith('-')) {
      if (word.startsWith('--') && !word.includes('=') && options[word.slice(2)]?.type === 'string') {
        out.push(`${word}=${next}`);
        i++;
        continue;
      }
      if (/^-[^-]/.test(word) && groupTakesNextWord(word, options)) {
        out.push(`${word}${next}`);
        i++;
        continue;
      }
    }
    out.push(word);
  }
  return out;
}

/** node:util parseArgs over `config.args` with values that start with `-` attached (see above). */
export function parseCommandArgs<T extends ParseArgsConfig>(config: T): ReturnType<typeof parseArgs<T>> {
  try {
    // The same configuration with other words: the result has the type parseArgs gives `config`.
    return parseArgs({ ...config, args: attachDashValues(config.args ?? [], config.options ?? {}) }) as ReturnType<typeof parseArgs<T>>;
  } catch (error) {
    // `--db` last, without its URL: what it takes, and the form that takes the configured one.
    if (config.options?.['db']?.type === 'string' && (error as Error).message === "Option '--db <value>' argument missing") {
      throw new UsageError('--db needs a URL (--db URL), or --db= for LOGSPHERE_DATABASE_URL from /etc/logsphere/secrets.env');
    }
    throw error;
  }
}
