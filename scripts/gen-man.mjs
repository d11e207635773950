// Writes the manual pages logsphere(1), logsphere-hook(8) and logsphere.env(5) into dist/man/
// (`npm run build` runs it after scripts/build.mjs). Their one source is docs/man/*.md (the
// format is described in docs/man/README.md) with, for logsphere(1), the usage text of every
// command in the CLI's command table (what `logsphere COMMAND --help` prints), and for
// logsphere.env(5), the variables and defaults of src/config/schema.ts. The roff itself is made by
// scripts/lib/man-page.ts.
//
// Usage: node scripts/gen-man.mjs [--out DIR]
//
// The TypeScript sources are bundled with esbuild in memory and evaluated here, as
// scripts/gen-config-validator.mjs does with the schema: plain node 20 does not read TypeScript.
// The page date is SOURCE_DATE_EPOCH's, else the last commit's, so a build is reproducible.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, readdirSync, renameSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = fileURLToPath(new URL('..', import.meta.url));
const outIndex = process.argv.indexOf('--out');
const outDir = outIndex > 0 ? process.argv[outIndex + 1] : `${root}dist/man`;
if (outDir === undefined) {
  console.error('gen-man: --out needs a directory');
  process.exit(2);
}

const entry = `
export { loadCommands, version } from './src/cli/main.ts';
export { mainUsage } from './src/cli/usage.ts';
export { configSchema } from './src/config/schema.ts';
export { renderManPage } from './scripts/lib/man-page.ts';
`;
const bundled = await build({
  stdin: { contents: entry, resolveDir: root, loader: 'ts', sourcefile: 'man-sources.ts' },
  bundle: true, write: false, format: 'cjs', platform: 'node', target: 'node18', packages: 'external', logLevel: 'warning',
});
const sources = { exports: {} };
new Function('module', 'exports', 'require', bundled.outputFiles[0].text)(sources, sources.exports, createRequire(`${root}package.json`));
const { loadCommands, version, mainUsage, configSchema, renderManPage } = sources.exports;

function pageDate() {
  const epoch = process.env.SOURCE_DATE_EPOCH;
  if (epoch !== undefined && /^\d+$/.test(epoch)) return new Date(Number(epoch) * 1000).toISOString().slice(0, 10);
  try {
    return execFileSync('git', ['-C', root, 'log', '-1', '--format=%cs'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return '';
  }
}

const commands = (await loadCommands()).map(({ name, usage }) => ({ name, usage }));
const variables = Object.entries(configSchema.properties).map(([name, property]) => ({ name, default: property.default }));
const context = { version, date: pageDate(), commands, mainUsage };

mkdirSync(outDir, { recursive: true });
for (const file of readdirSync(`${root}docs/man`).filter((f) => /\.[1-8]\.md$/.test(f)).sort()) {
  let page;
  try {
    page = renderManPage(readFileSync(`${root}docs/man/${file}`, 'utf8'), file.startsWith('logsphere.env.') ? { ...context, variables } : context);
  } catch (error) {
    console.error(`gen-man: docs/man/${file}: ${error.message}`);
    process.exit(1);
  }
  if (`${page.file}.md` !== file) {
    console.error(`gen-man: docs/man/${file} is titled ${page.file}: name the file ${page.file}.md`);
    process.exit(1);
  }
  // Replaced whole: a reader (man) never sees half a page.
  writeFileSync(`${outDir}/.${page.file}.new`, page.roff);
  renameSync(`${outDir}/.${page.file}.new`, `${outDir}/${page.file}`);
}
