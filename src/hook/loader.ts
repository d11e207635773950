// The first lines of logsphere-hook as built (scripts/build.mjs): the hook's program (main.ts and
// what it loads) follows this loader in the same file, as the text of a comment, and the loader
// compiles it with the hook's V8 code cache when there is a trusted one (code-cache.ts), else as
// node would. One file, so that an update replaces loader and program at once. The comment is the
// body of a function (hookProgram), so the loader takes the program's text from the source node
// has already read, through Function.prototype.toString, instead of reading the file again.
//
// Required rather than run (scripts/write-hook-code-cache.mjs), it runs nothing and hands over
// what making the cache needs: the program compiled the same way, and where the cache goes.

import type * as NodeVm from 'node:vm';
import { readCodeCache } from './code-cache.ts';
import { builtin } from '../sys/builtin.ts';

export { codeCacheHeader } from './code-cache.ts';

// Set by scripts/build.mjs: the program's hash, the line it starts on, and the control character
// that stands for the `/` of each `*/` inside it (the comment holding it would end there).
declare const LOGSPHERE_HOOK_BODY_ID: string;
declare const LOGSPHERE_HOOK_BODY_LINE: number;
declare const LOGSPHERE_HOOK_BODY_MARK: string;
/** Written by build.mjs after the loader: its body is the comment that holds the program. */
declare function hookProgram(): void;

const vm = builtin<typeof NodeVm>('node:vm');

export const bodyId = LOGSPHERE_HOOK_BODY_ID;
export const codeCachePath = `${__filename}.code-cache`;
/** The line before the program (build.mjs writes it; nothing else in the file holds it). */
export const bodyMarker = '/*logsphere-hook program\n';

/** The program: a function of (exports, require, module, __filename, __dirname), as its text. */
function bodySource(): string {
  const text = hookProgram.toString();
  const start = text.indexOf(bodyMarker) + bodyMarker.length;
  return text.slice(start, text.lastIndexOf('*/')).replaceAll(`*${LOGSPHERE_HOOK_BODY_MARK}/`, '*/');
}

export function compileBody(cachedData?: Buffer): NodeVm.Script {
  return new vm.Script(bodySource(), { filename: __filename, lineOffset: LOGSPHERE_HOOK_BODY_LINE, ...(cachedData ? { cachedData } : {}) });
}

export function runBody(script: NodeVm.Script): void {
  const program = { exports: {} };
  (script.runInThisContext() as (...args: unknown[]) => void)(program.exports, require, program, __filename, __dirname);
}

/**
 * The size of libuv's thread pool, which runs the hook's log-directory calls one at a time (main.ts).
 * libuv reads UV_THREADPOOL_SIZE when the pool is first used, and starts that many threads then;
 * set here, before anything can use it, it costs the threads the hook needs and no more, and no
 * value in the PAM environment (which users can write to) chooses it.
 */
const threadPoolSize = '1';

if (require.main === module) {
  process.env['UV_THREADPOOL_SIZE'] = threadPoolSize;
  runBody(compileBody(readCodeCache(codeCachePath, bodyId)));
}
