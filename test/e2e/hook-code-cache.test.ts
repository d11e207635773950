// The hook's V8 code cache (src/hook/code-cache.ts) as installed: written by
// scripts/lib/write-hook-code-cache.mjs beside a copy of the built hook, accepted by V8, and the
// hook records the same with it, without it, and with a cache it must not use.
import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pamEnv, writeConfigFile } from '../helpers/hook.ts';
import { hookBundle, nodePath, repoRoot, requireBuilt } from '../helpers/paths.ts';

const writer = `${repoRoot}scripts/lib/write-hook-code-cache.mjs`;
let dir: string;
let hook: string;
let config: string;

beforeAll(() => {
  requireBuilt();
  dir = mkdtempSync(`${tmpdir()}/hook-code-cache-`);
  hook = `${dir}/logsphere-hook.cjs`;
  copyFileSync(hookBundle, hook);
  chmodSync(hook, 0o755);
  config = `${dir}/hook.env`;
  writeConfigFile(config, { LOGSPHERE_LOG_DIR: `${dir}/log`, LOGSPHERE_RUN_DIR: `${dir}/run` });
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function session(tty: string): Array<Record<string, unknown>> {
  for (const type of ['open_session', 'close_session']) {
    const r = spawnSync(nodePath, [hook, `--config=${config}`], { env: pamEnv(type, { PAM_TTY: tty }), encoding: 'utf8' });
    expect({ status: r.status, stderr: r.stderr }).toEqual({ status: 0, stderr: '' });
  }
  const records = readFileSync(`${dir}/log/sessions.jsonl`, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
  return records.filter((r) => r['tty'] === tty);
}

function expectPaired(records: Array<Record<string, unknown>>): void {
  expect(records.map((r) => r['event'])).toEqual(['session_open', 'session_close']);
  expect(records[1]?.['session_id']).toBe(records[0]?.['session_id']);
  expect(records[1]?.['login_time']).toBe(records[0]?.['ts']);
}

describe.skipIf(process.geteuid?.() !== 0)('the hook with its code cache', () => {
  it('is written root-owned, mode 0644, and accepted by V8', () => {
    const r = spawnSync(nodePath, [writer, hook], { encoding: 'utf8' });
    expect({ status: r.status, stderr: r.stderr }).toEqual({ status: 0, stderr: '' });
    const st = statSync(`${hook}.code-cache`);
    expect([st.uid, st.mode & 0o7777]).toEqual([0, 0o644]);
    const loader = createRequire(import.meta.url)(hook) as { bodyId: string; codeCacheHeader(id: string): string };
    const file = readFileSync(`${hook}.code-cache`);
    const header = loader.codeCacheHeader(loader.bodyId);
    expect(file.toString('latin1', 0, header.length)).toBe(header);
    // Checked by the node the hook runs with (the writer's --check), which may not be this one.
    writeFileSync(`${dir}/data`, file.subarray(header.length));
    const check = spawnSync(nodePath, [writer, '--check', hook, `${dir}/data`], { encoding: 'utf8' });
    expect({ status: check.status, stderr: check.stderr }).toEqual({ status: 0, stderr: '' });
  });

  it('records a session with the cache, without it, with data V8 rejects and with a cache of another build', () => {
    expectPaired(session('pts/31'));
    const cache = readFileSync(`${hook}.code-cache`);
    const header = cache.subarray(0, cache.indexOf(0x0a) + 1);
    writeFileSync(`${hook}.code-cache`, Buffer.concat([header, Buffer.alloc(4096, 7)]), { mode: 0o644 });
    expectPaired(session('pts/32'));
    writeFileSync(`${hook}.code-cache`, Buffer.concat([Buffer.from(header.toString('latin1').replace(/[0-9a-f](?=\n)/, (c) => (c === '0' ? '1' : '0')), 'latin1'), cache.subarray(header.length)]), { mode: 0o644 });
    expectPaired(session('pts/33'));
    rmSync(`${hook}.code-cache`);
    expect(existsSync(`${hook}.code-cache`)).toBe(false);
    expectPaired(session('pts/34'));
  });
});
