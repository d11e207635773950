import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { afterEach, describe, expect, it } from 'vitest';
import { claimSpool, spooledNames, spoolLines } from './spool.ts';

let dir = '';
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const entry = (order: number, id: string) => ({ order, id, line: `{"event_id":"${id}"}\n` });

describe('the spool', () => {
  it('keeps records private and hands them back oldest first', () => {
    dir = mkdtempSync(`${tmpdir()}/ls-spool-`);
    spoolLines(dir, [entry(30, 'c'), entry(10, 'a')]);
    spoolLines(dir, [entry(20, 'b')]);
    expect(statSync(`${dir}/spool`).mode & 0o777).toBe(0o700);
    expect(statSync(`${dir}/spool/${spooledNames(dir)[0]}`).mode & 0o777).toBe(0o600);
    const claim = claimSpool(dir);
    expect(claim?.text).toBe('{"event_id":"a"}\n{"event_id":"b"}\n{"event_id":"c"}\n');
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
    expect(claimSpool(dir)?.text).toBe('{"event_id":"a"}\n');
  });
});
