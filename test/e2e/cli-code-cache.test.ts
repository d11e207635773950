// The CLI's V8 code cache (src/bundle/piece-cache.ts) as installed: written by
// scripts/lib/write-cli-code-cache.mjs beside a copy of the built CLI, accepted by V8 for every
// piece, used by the CLI started by name (its first line's node flags), and the CLI answers the
// same with it, without it, and with a cache it must not use.
import { spawnSync } from 'node:child_process';
import { chmodSync, chownSync, copyFileSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliBundle, nodePath, repoRoot, requireBuilt } from '../helpers/paths.ts';

const writer = `${repoRoot}scripts/lib/write-cli-code-cache.mjs`;
let dir: string;
let cli: string;
let env: Record<string, string>;

// A node under the CLI's own flags, as when it is started by name, that runs the CLI's commands
// through its run() and says what they printed and how much of the code cache they used.
const probe = `
  const cli = require(process.argv[1]);
  let text = '';
  const io = { env: JSON.parse(process.argv[2]), stdout: (t) => (text += Buffer.from(t).toString()), stderr: (t) => (text += 'stderr: ' + t), stdoutIsTerminal: false, columns: null, onStopSignal: () => () => {} };
  (async () => {
    const out = [];
    // At one instant: the TIME of an open session is reckoned to it.
    for (const argv of [['sessions'], ['last'], ['failed']]) {
      text = '';
      const status = await cli.run(argv, io, Date.UTC(2026, 5, 1) * 1000);
      out.push({ argv, status, text });
    }
    console.log(JSON.stringify({ out, use: cli.codeCache.use() }));
  })();
`;

interface Answer {
  argv: string[];
  status: number;
  text: string;
}

function runCli(): { out: Answer[]; use: { used: number; rejected: number } } {
  const flags = readFileSync(cli, 'latin1').split('\n')[0]?.split(' ').slice(1) ?? [];
  const r = spawnSync(nodePath, [...flags, '-e', probe, cli, JSON.stringify(env)], { encoding: 'utf8', env: {} });
  expect({ status: r.status, stderr: r.stderr }).toEqual({ status: 0, stderr: '' });
  return JSON.parse(r.stdout) as { out: Answer[]; use: { used: number; rejected: number } };
}

beforeAll(() => {
  requireBuilt();
  dir = mkdtempSync(`${tmpdir()}/cli-code-cache-`);
  cli = `${dir}/logsphere`;
  copyFileSync(cliBundle, cli);
  chmodSync(cli, 0o755);
  writeFileSync(`${dir}/package.json`, '{ "type": "commonjs" }\n');
  const gen = spawnSync(nodePath, [`${repoRoot}scripts/lib/gen-history.mjs`, `${dir}/h`, '--sessions', '400', '--hosts', '2', '--weeks', '1', '--open-every', '10', '--segments', '--max-bytes', '50000'], { encoding: 'utf8' });
  expect(gen.status).toBe(0);
  env = { LOGSPHERE_CONFIG: '/dev/null', LOGSPHERE_LOG_DIR: `${dir}/h/log`, LOGSPHERE_STATE_DIR: `${dir}/state`, LOGSPHERE_RUN_DIR: `${dir}/run`, TZ: 'UTC' };
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe.skipIf(process.geteuid?.() !== 0)('the CLI with its code cache', () => {
  let without: Answer[];

  it('answers without a cache, compiling every piece itself', () => {
    const r = runCli();
    expect(r.use).toEqual({ used: 0, rejected: 0 });
    expect(r.out.map((a) => a.status)).toEqual([0, 0, 0]);
    expect(r.out[0]?.text).toMatch(/^HOST +USER +TTY .*\n(host\d\.\S* +user\d+ .*\n){40}$/);
    expect(r.out[1]?.text).toMatch(/\nsessions\.jsonl begins /);
    without = r.out;
  });

  it('is written root-owned, mode 0644, V8 accepts every piece of it, and the same answers come from it', () => {
    const w = spawnSync(nodePath, [writer, cli], { encoding: 'utf8' });
    expect({ status: w.status, stderr: w.stderr }).toEqual({ status: 0, stderr: '' });
    const st = statSync(`${cli}.code-cache`);
    expect([st.uid, st.mode & 0o7777]).toEqual([0, 0o644]);
    expect(readFileSync(`${cli}.code-cache`, 'latin1')).toMatch(/^logsphere code cache [0-9a-f]{32}\n\{"\.\/[^"]+\.js":\[0,\d+\]/);
    const r = runCli();
    expect(r.use.used).toBeGreaterThan(5);
    expect(r.use.rejected).toBe(0);
    expect(r.out).toEqual(without);
  });

  it('compiles as without one, with the same answers, when the cache is not to be trusted or not for this build', () => {
    const path = `${cli}.code-cache`;
    const good = readFileSync(path);
    const header = good.subarray(0, good.indexOf(0x0a) + 1);
    const put = (content: Buffer, mode = 0o644) => {
      rmSync(path, { force: true });
      writeFileSync(path, content, { mode });
      chmodSync(path, mode);
    };
    const cases: Array<[string, () => void, number]> = [
      ['data for no piece of the program', () => put(Buffer.concat([header, Buffer.from('{"./x.js":[0,4096]}\n'), Buffer.alloc(4096, 7)])), 0],
      ['another build', () => put(Buffer.concat([Buffer.from(header.toString('latin1').replace(/[0-9a-f](?=\n)/, (c) => (c === '0' ? '1' : '0')), 'latin1'), good.subarray(header.length)])), 0],
      ['writable by the group', () => put(good, 0o664), 0],
      ['owned by another user', () => (put(good), chownSync(path, 65534, 65534)), 0],
      ['a link to a good cache', () => (rmSync(path), put(good), copyFileSync(path, `${dir}/real-cache`), rmSync(path), symlinkSync(`${dir}/real-cache`, path)), 0],
      ['an index that does not fit its data', () => put(Buffer.concat([header, Buffer.from('{"./sessions.js":[0,99999999]}\n'), Buffer.alloc(64)])), 0],
    ];
    for (const [what, make, used] of cases) {
      make();
      const r = runCli();
      expect({ what, use: r.use }).toEqual({ what, use: { used, rejected: 0 } });
      expect({ what, out: r.out }).toEqual({ what, out: without });
    }
    // Data for a piece that V8 rejects is counted, and the piece compiled.
    const pieces = JSON.parse(good.toString('latin1', header.length, good.indexOf(0x0a, header.length))) as Record<string, [number, number]>;
    const [first] = Object.keys(pieces);
    put(Buffer.concat([header, Buffer.from(`${JSON.stringify({ [first as string]: [0, 4096] })}\n`), Buffer.alloc(4096, 7)]));
    const r = runCli();
    expect(r.use).toEqual({ used: 1, rejected: 1 });
    expect(r.out).toEqual(without);
    rmSync(path, { force: true });
  });
});
