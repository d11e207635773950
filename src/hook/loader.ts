// The first lines of logsphere-hook as built (scripts/build.mjs): the hook's program (main.ts and
// what it loads) follows this loader in the same file, as the text of a comment, and the loader
// compiles it with the hook's V8 code cache when there is a trusted one (code-cache.ts), else as
// node would. One file, so that an update replaces loader and program at once.
//
// Required rather than run (scripts/write-hook-code-cache.mjs), it runs nothing and hands over
// what making the cache needs: the program compiled the same way, and where the cache goes.

import type * as NodeVm from 'node:vm';
import { fs } from '../sys/fs.ts';
import { readCodeCache } from './code-cache.ts';

export { codeCacheHeader } from './code-cache.ts';

// Set by scripts/build.mjs: the program's hash, the line it starts on, and the control character
// that stands for the `/` of each `*/` inside it (the comment holding it would end there).
declare const LOGSPHERE_HOOK_BODY_ID: string;
declare const LOGSPHERE_HOOK_BODY_LINE: number;
declare const LOGSPHERE_HOOK_BODY_MARK: string;

const vm = (process.getBuiltinModule?.('node:vm') as typeof NodeVm | undefined) ?? (require('node:vm') as typeof NodeVm);

export const bodyId = LOGSPHERE_HOOK_BODY_ID;
export const codeCachePath = `${__filename}.code-cache`;
/** The line before the program (build.mjs writes it; nothing else in the file holds it). */
export const bodyMarker = '/*logsphere-hook program\n';

/** The program: a function of (exports, require, module, __filename, __dirname), as its text. */
function bodySource(): string {
  const text = fs.readFileSync(__filename, 'latin1');
  const start = text.lastIndexOf(bodyMarker) + bodyMarker.length;
  return text.slice(start, text.lastIndexOf('*/')).replaceAll(`*${LOGSPHERE_HOOK_BODY_MARK}/`, '*/');
}

export function compileBody(cachedData?: Buffer): NodeVm.Script {
  return new vm.Script(bodySource(), { filename: __filename, lineOffset: LOGSPHERE_HOOK_BODY_LINE, ...(cachedData ? { cachedData } : {}) });
}

export function runBody(script: NodeVm.Script): void {
  const program = { exports: {} };
  (script.runInThisContext() as (...args: unknown[]) => void)(program.exports, require, program, __filename, __dirname);
}

if (require.main === module) runBody(compileBody(readCodeCache(codeCachePath, bodyId)));
