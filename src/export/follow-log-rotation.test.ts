// followLog() across a rotation that falls between the tail listing the log's files and opening
// the next one: the live file it was about to open is renamed to a segment and a new live file
// made in that moment (the writer rotating it). Every record is put out once, in order: the tail
// (src/input/tail.ts) opens the live file only when it is the one it listed, and lists again
// when it is not.
import fs, { mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
import { tmpdir } from 'node:os';
import { afterEach, describe, expect, it } from 'vitest';
import type { Config } from '../config/config.ts';
import * as build from '../record/build.ts';
import { followLog } from './follow-log.ts';

let dir = '';
const realOpenSync = fs.openSync;
afterEach(() => {
  fs.openSync = realOpenSync;
  syncBuiltinESMExports();
  rmSync(dir, { recursive: true, force: true });
});

const origin = { host: 'web1', boot_id: 'b-1', source: 'pam' } as const;
const line = (i: number) => {
  const login: build.Login = { user: `user${i}`, uid: 1000 + i, tty: `pts/${i}`, rhost: '203.0.113.7', ruser: null, service: 'sshd', pid: 100 + i, pid_start: i };
  return build.toLine(build.sessionOpen(origin, login, Date.UTC(2026, 10, 20, 0, i) * 1000));
};
const lines = Array.from({ length: 9 }, (_, i) => line(i));
const text = (from: number, to: number) => lines.slice(from, to).join('');

function setup(): Config {
  dir = mkdtempSync(`${tmpdir()}/ls-follow-rot-`);
  mkdirSync(`${dir}/log`);
  return {
    logDir: `${dir}/log`, logFile: `${dir}/log/sessions.jsonl`, runDir: `${dir}/run`, stateDir: `${dir}/state`, hostname: null, ignoreServices: [],
    fsync: false, maxBytes: 0, keepDays: 0, configPath: null, rulesPath: `${dir}/rules.json`, webhook: null, mail: null,
  };
}

describe('followLog() and a rotation racing it', () => {
  it('reads a live file rotated away between listing the segments and opening it', async () => {
    const config = setup();
    writeFileSync(`${dir}/log/sessions-20261120T000000Z.jsonl`, text(0, 3));
    writeFileSync(config.logFile, text(3, 6));
    // The first time the tail opens the live file, the writer has just rotated it.
    let rotated = false;
    fs.openSync = ((path: fs.PathLike, ...rest: unknown[]) => {
      if (!rotated && path === config.logFile) {
        rotated = true;
        renameSync(config.logFile, `${dir}/log/sessions-20261121T000000Z.jsonl`);
        writeFileSync(config.logFile, text(6, 9));
      }
      return (realOpenSync as (...a: unknown[]) => number)(path, ...rest);
    }) as typeof fs.openSync;
    syncBuiltinESMExports();
    let written = '';
    const warnings: string[] = [];
    const output = { write: (t: string) => void (written += t), warn: (m: string) => void warnings.push(m), fd: null, terminal: false };
    await followLog({ format: 'raw', checkpoint: null, fromStart: true, input: null, once: true }, config, output, new AbortController().signal);
    expect(rotated).toBe(true);
    expect(written).toBe(text(0, 9));
    expect(warnings).toEqual([]);
  });
});
