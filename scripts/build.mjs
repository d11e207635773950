// Bundles the hook and the CLI into single-file CommonJS programs (dist/), so that an installed
// host needs no node_modules. Run by `npm run build`.
//
// Start-up is what these programs are measured by (scripts/bench.sh): node's ESM loader alone
// costs about 3.5 ms, so both are CommonJS, and each compiles only the code its run needs. The
// sources load what is not always needed with `await import()`; esbuild splits the program at
// those points (an ESM build: esbuild splits only ESM), each piece is turned into CommonJS, and
// the program is its entry piece as code with every other piece beside it as a text, compiled on
// its first require (lazyProgram below). The CLI thus compiles its dispatch and the one command
// run; the hook its open/close path, and not its diagnostics (pino), the pty watcher or
// rotation.
import { createHash } from 'node:crypto';
import { chmodSync, copyFileSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { deflateRawSync } from 'node:zlib';
import { build, transform } from 'esbuild';

const root = new URL('..', import.meta.url).pathname;

const common = {
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node18',
  logLevel: 'warning',
  legalComments: 'none',
  absWorkingDir: root,
  // uuid's "node" build imports node:crypto at load (about 6 ms for every login); its plain
  // build reads crypto only inside rng(), which is never called (src/record/ids.ts).
  alias: { uuid: './node_modules/uuid/dist/index.js' },
};

const shebang = '#!/usr/bin/node';

/** A package (or entry file) bundled as one CommonJS text, to embed in a bundle as a string. */
async function commonJsText(options) {
  const out = await build({ ...common, format: 'cjs', write: false, minify: true, ...options });
  return out.outputFiles[0].text;
}

// What each bundle carries as text, compiled only on first use: the constants of
// src/bundle/embedded.ts, set here and nowhere else. The packages themselves stay out of the
// bundle as code (external): the loaders import them only when run from the sources.
const embeddedInHook = {
  LOGSPHERE_EMBEDDED_PINO: await commonJsText({ stdin: { contents: "module.exports = { pino: require('pino').pino };", resolveDir: root, loader: 'js' } }),
};
const embeddedInCli = {
  LOGSPHERE_EMBEDDED_NAME_WORKER: await commonJsText({ entryPoints: ['src/legacy/name-worker.ts'] }),
  LOGSPHERE_EMBEDDED_COLUMNS_WORKER: await commonJsText({ entryPoints: ['src/input/columns-worker.ts'] }),
  LOGSPHERE_EMBEDDED_NODEMAILER: await commonJsText({ stdin: { contents: "module.exports = { createTransport: require('nodemailer').createTransport };", resolveDir: root, loader: 'js' } }),
  // sql.js for `import wtmpdb|lastlog2` (src/legacy/load-sql-js.ts): its JavaScript, which reads
  // nothing from disk when given its WebAssembly (__dirname would only name where to look). The
  // WebAssembly (920 KB) is a file beside the program, dist/logsphere-sqlite.wasm (written below):
  // in the program's file every command would read and scan it at every start.
  LOGSPHERE_EMBEDDED_SQL_JS: await commonJsText({ stdin: { contents: "module.exports = { initSqlJs: require('sql.js') };", resolveDir: root, loader: 'js' }, define: { __dirname: '""' } }),
};
const define = (texts) => Object.fromEntries(Object.entries(texts).map(([name, text]) => [name, JSON.stringify(text)]));

/**
 * Requires a piece of the program: the entry piece and what it imports (not `await import()`s)
 * are code (pieceCode); any other piece is compiled from its text on first use (strict, as the
 * ESM it was built from, named in stack traces); anything else is node's require. The texts are
 * the body of a comment (pieceSource), read back through Function.prototype.toString: V8 skips a
 * comment at a glance, where a string literal as long costs twice the time to scan and
 * materialise at every start (measured: 1.8 ms against 3.8 ms for the CLI's 650 KB). `*` `/`
 * inside a text is written with a control character (pieceMark) between them.
 */
const pieceLoader = (packed, cached) => `const pieces = new Map();
function requirePiece(id) {
  const code = pieceCode[id];
  const at = pieceAt[id];
  if (code === undefined && at === undefined) return require(id);
  let piece = pieces.get(id);
  if (piece === undefined) {
    piece = { exports: {} };
    pieces.set(id, piece);
    if (code !== undefined) code(piece, piece.exports, requirePiece);
    else ${cached ? 'compilePiece(id)' : "new Function('module', 'exports', 'require', pieceText(id) + '\\n//# sourceURL=' + __filename + '/' + id.slice(2))"}(piece, piece.exports, requirePiece);
  }
  return piece.exports;
}
function pieceText(id) {
  const at = pieceAt[id];
  const source = pieceSource.toString();
  const start = source.indexOf('/*') + 2;
  const stored = source.slice(start + at[0], start + at[1]);
  return ${packed ? "at[2] === 1 ? require('node:zlib').inflateRawSync(Buffer.from(stored, 'base64')).toString('latin1') : " : ''}stored.replaceAll('*' + pieceMark + '/', '*/');
}${cached ? cachedCompile : ''}`;

/**
 * How the CLI compiles a piece: as a script, with its data from the program's V8 code cache when
 * there is a trusted one (src/bundle/piece-cache.ts, read on the first compile). Each script is
 * kept for scripts/lib/write-cli-code-cache.mjs, which makes the cache from them once they have
 * run, through \`codeCache\` on the program's exports.
 */
const cachedCompile = `
const pieceVm = require('node:vm');
const pieceScripts = new Map();
const pieceCacheUse = { used: 0, rejected: 0 };
let pieceCache;
function pieceScript(id, cachedData) {
  return new pieceVm.Script('(function (module, exports, require) {' + pieceText(id) + '\\n})', { filename: __filename + '/' + id.slice(2), cachedData });
}
function compilePiece(id) {
  if (pieceCache === undefined) pieceCache = pieceCacheApi.readPieceCache(__filename, pieceBodyId);
  const cachedData = pieceCache === null ? undefined : pieceCache.get(id);
  const script = pieceScript(id, cachedData);
  if (cachedData !== undefined) {
    pieceCacheUse.used++;
    if (script.cachedDataRejected) pieceCacheUse.rejected++;
  }
  pieceScripts.set(id, script);
  return script.runInThisContext();
}
const codeCache = {
  path: __filename + '.code-cache',
  /** What this run has compiled, as the content of a code cache file. */
  file: () => pieceCacheApi.encodePieceCache(pieceBodyId, [...pieceScripts].map(([id, script]) => [id, script.createCachedData()])),
  /** Of the pieces compiled so far: how many had data in the cache, and how many of those V8 rejected. */
  use: () => ({ ...pieceCacheUse }),
  /** The pieces of a cache file's content whose data V8 rejects; null when it is not a cache of this program. */
  rejects(file) {
    const pieces = pieceCacheApi.piecesOf(file, pieceBodyId);
    if (pieces === null) return null;
    return [...pieces].filter(([id, data]) => pieceAt[id] === undefined || pieceScript(id, data).cachedDataRejected).map(([id]) => id);
  },
};`;

/**
 * One program file: `entry` split where the sources `await import()`, its entry piece as code,
 * the other pieces as texts (see the header). `banner` opens the file (the shebang).
 */
// Names are kept as written: diagnostics name error classes (pino's err.type) and functions.
const minify = { minifyWhitespace: true, minifySyntax: true };

/**
 * `packAbove`: lazy pieces longer than this are kept deflated (base64), marked by a third number
 * in pieceAt, and inflated on their first require. A program that starts at every login (the
 * hook) carries its diagnostics (pino, about 65 KB) this way: node reads and scans the whole file
 * at every start, and the diagnostics are needed only when something goes wrong. The CLI so
 * carries nodemailer (mail only) and the configuration schema's validator (rarely needed): some
 * 470 KB that every command would otherwise read and scan.
 */
async function lazyProgram({ entry, outfile, banner, loader, codeCache = false, packAbove = Infinity, ...options }) {
  const out = await build({ ...common, ...options, entryPoints: { main: entry }, outdir: 'pieces', splitting: true, write: false, ...minify, metafile: true, chunkNames: '[name]-[hash]' });
  const pieces = await Promise.all(out.outputFiles.map(async (file) => {
    // Without dynamic import(), esbuild turns each into a require() of the piece, through requirePiece.
    const cjs = await transform(file.text, { format: 'cjs', target: 'node18', ...minify, supported: { 'dynamic-import': false }, logLevel: 'warning' });
    return { id: `./${file.path.slice(file.path.lastIndexOf('/') + 1)}`, text: `"use strict";${cjs.code}` };
  }));
  // What every run compiles: the entry piece and the pieces it imports, transitively.
  const eager = new Set(['./main.js']);
  for (const id of eager) {
    const imports = out.metafile.outputs[`pieces/${id.slice(2)}`]?.imports ?? [];
    for (const i of imports) if (i.kind === 'import-statement' && !i.external) eager.add(`./${i.path.slice(i.path.lastIndexOf('/') + 1)}`);
  }
  const lazy = pieces.filter((p) => !eager.has(p.id));
  // esbuild writes ASCII (non-ASCII characters escaped), so one control character is free.
  const mark = [...Array(31).keys()].map((c) => String.fromCharCode(c + 1)).find((c) => c !== '\n' && lazy.every((p) => !p.text.includes(c)));
  if (mark === undefined || pieces.some((p) => /[^\x00-\x7f]/.test(p.text))) throw new Error(`Cannot build ${outfile}: its pieces are not plain ASCII`);
  let body = '';
  const at = {};
  let packed = false;
  for (const piece of lazy) {
    const pack = piece.text.length > packAbove;
    const text = pack ? deflateRawSync(piece.text, { level: 9 }).toString('base64') : piece.text.replaceAll('*/', `*${mark}/`);
    at[piece.id] = pack ? [body.length, body.length + text.length, 1] : [body.length, body.length + text.length];
    packed ||= pack;
    body += `${text}\n`;
  }
  const code = pieces.filter((p) => eager.has(p.id) && p.id !== './main.js');
  const main = pieces.find((p) => p.id === './main.js');
  const program = [
    loader ? null : banner,
    '"use strict";',
    `const pieceCode = {${code.map((p) => `${JSON.stringify(p.id)}: function (module, exports, require) {${p.text.replace(/^"use strict";/, '')}\n}`).join(',\n')}};`,
    `const pieceAt = ${JSON.stringify(at)};`,
    `const pieceMark = ${JSON.stringify(mark)};`,
    codeCache ? `const pieceBodyId = ${JSON.stringify(createHash('sha256').update(body).digest('hex').slice(0, 32))};` : null,
    codeCache ? await pieceCacheCode() : null,
    pieceLoader(packed, codeCache),
    // The entry piece; a piece that imports the entry gets this module's exports. It runs the
    // program when it is the main module (`require.main === module`), not when it is required.
    "pieces.set('./main.js', module);",
    'requirePiece.main = require.main;',
    `(function (module, exports, require) {${main.text.replace(/^"use strict";/, '')}\n})(module, exports, requirePiece);`,
    codeCache ? 'module.exports.codeCache = codeCache;' : null,
    `function pieceSource() {/*${body}*/}`,
    '',
  ].filter((line) => line !== null).join('\n');
  writeFileSync(`${root}${outfile}`, loader ? await withLoader(program, banner) : program, { mode: 0o755 });
  chmodSync(`${root}${outfile}`, 0o755);
}

/** src/bundle/piece-cache.ts as code defining \`pieceCacheApi\`, for a program with a code cache. */
async function pieceCacheCode() {
  const out = await build({ ...common, entryPoints: ['src/bundle/piece-cache.ts'], format: 'iife', globalName: 'pieceCacheApi', write: false, ...minify });
  return out.outputFiles[0].text.trim();
}

/**
 * The hook as one file: its loader (src/hook/loader.ts) as code, then the program as the text of
 * a comment (the body of a function, hookProgram, whose source the loader reads back), which the loader compiles with the hook's V8 code cache when it has a trusted one
 * (src/hook/code-cache.ts). Inside the comment each `*` `/` of the program is written with a
 * control character between them; the program is wrapped as a CommonJS module function.
 */
async function withLoader(program, banner) {
  const body = `(function (exports, require, module, __filename, __dirname) {${program}\n})`;
  const mark = [...Array(31).keys()].map((c) => String.fromCharCode(c + 1)).find((c) => c !== '\n' && !body.includes(c));
  if (mark === undefined) throw new Error('Cannot build the hook: no control character is free to mark its comment');
  const id = createHash('sha256').update(body).digest('hex').slice(0, 32);
  const loaderText = async (line) => (await build({ ...common, entryPoints: ['src/hook/loader.ts'], format: 'cjs', write: false, ...minify, define: {
    LOGSPHERE_HOOK_BODY_ID: JSON.stringify(id), LOGSPHERE_HOOK_BODY_LINE: String(line), LOGSPHERE_HOOK_BODY_MARK: JSON.stringify(mark),
  } })).outputFiles[0].text;
  // The program's first line, for its stack traces: what comes before it does not depend on it.
  const head = (text) => `${banner}\n${text}function hookProgram() {/*logsphere-hook program\n`;
  const line = head(await loaderText(0)).split('\n').length - 1;
  const loader = head(await loaderText(line));
  if (loader.split('\n').length - 1 !== line || body.includes('/*logsphere-hook program\n')) throw new Error('Cannot build the hook: its program does not start where its loader looks');
  return `${loader}${body.replaceAll('*/', `*${mark}/`)}*/}\n`;
}

mkdirSync(`${root}dist`, { recursive: true });
await Promise.all([
  lazyProgram({ entry: 'src/hook/main.ts', outfile: 'dist/logsphere-hook.cjs', banner: shebang, loader: true, packAbove: 16 * 1024, define: define(embeddedInHook), external: ['pino'] }),
  // The CLI's young generation is capped at 8 MB: `last` over a million events then peaks near
  // 135 MB instead of 150 MB (scripts/bench.sh), for a little more time in the collector.
  lazyProgram({ entry: 'src/cli/logsphere.ts', outfile: 'dist/logsphere.cjs', banner: `${shebang} --max-semi-space-size=8`, codeCache: true, packAbove: 64 * 1024, define: define(embeddedInCli), external: ['nodemailer', 'pg-native', 'sql.js'] }),
]);
copyFileSync(`${root}node_modules/sql.js/dist/sql-wasm.wasm`, `${root}dist/logsphere-sqlite.wasm`);
chmodSync(`${root}dist/logsphere-sqlite.wasm`, 0o644);
// The name the CLI had as an ESM bundle, for scripts that still run it: node goes by the
// target's name, so this runs as CommonJS too. The hook's old name is gone.
// Code caches are made for one build (scripts/lib/write-*-code-cache.mjs): those of an older one go.
for (const cache of ['logsphere.cjs.code-cache', 'logsphere-hook.cjs.code-cache']) rmSync(`${root}dist/${cache}`, { force: true });
rmSync(`${root}dist/logsphere-hook.mjs`, { force: true });
rmSync(`${root}dist/logsphere.mjs`, { force: true });
symlinkSync('logsphere.cjs', `${root}dist/logsphere.mjs`);
