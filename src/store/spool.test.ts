import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { afterEach, describe, expect, it } from 'vitest';
import { shutdown, toLine } from '../record/build.ts';
import { claimSpool, spooledNames, spoolLines } from './spool.ts';

let dir = '';
afterEach(() => rmSync(dir, { recursive: true, force: true }));

// Spooled entries are whole logsphere/1 records (anything else is refused: hook.test.ts).
const origin = { host: 'web1', boot_id: 'b7d1f3c2-0000-4000-8000-000000000001', source: 'systemd' } as const;
const lines = new Map<string, string>();
const entry = (order: number, id: string) => {
  const line = toLine(shutdown(origin, 1_700_000_000_000_000 + order));
  lines.set(id, line);
  return { order, id, line };
};
const line = (id: string) => lines.get(id) ?? '';

describe('the spool', () => {
  it('keeps records private and hands them back oldest first', () => {
    dir = mkdtempSync(`${tmpdir()}/ls-spool-`);
    spoolLines(dir, [entry(30, 'c'), entry(10, 'a')]);
    spoolLines(dir, [entry(20, 'b')]);
    expect(statSync(`${dir}/spool`).mode & 0o777).toBe(0o700);
    expect(statSync(`${dir}/spool/${spooledNames(dir)[0]}`).mode & 0o777).toBe(0o600);
    const claim = claimSpool(dir);
    expect(claim?.text).toBe(line('a') + line('b') + line('c'));
    expect(claim?.rejected).toBe(0);
    expect(spooledNames(dir)).toEqual([]);
    expect(claimSpool(dir)).toBeNull();
    claim?.release();
    expect(spooledNames(dir)).toHaveLength(3);
    claimSpool(dir)?.commit();
    expect(readdirSync(`${dir}/spool`)).toEqual([]);
  });

  it('takes back records claimed by a writer that died', () => {
    dir = mkdtempSync(`${tmpdir()}/ls-spool-`);
    spoolLines(dir, [entry(1, 'a'), entry(2, 'b')]);
    const dead = spawnSync('/bin/true').pid as number;
    const [first, second] = spooledNames(dir);
    renameSync(`${dir}/spool/${first}`, `${dir}/spool/.claimed-${dead}-${first}`);
    renameSync(`${dir}/spool/${second}`, `${dir}/spool/.claimed-1-${second}`);
    // pid 1 is alive: its claim stands; the dead writer's claim is free again.
    expect(claimSpool(dir)?.text).toBe(line('a'));
  });
});
