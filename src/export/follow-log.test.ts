import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { afterEach, describe, expect, it } from 'vitest';
import type { Config } from '../config/config.ts';
import * as build from '../record/build.ts';
import { followLog } from './follow-log.ts';

let dir = '';
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const origin = { host: 'web1', boot_id: 'b-1', source: 'pam' } as const;
const hostile = 'evil\u202etxt.exe\u001b[2J\u009b\u2066';

function setup(): Config {
  dir = mkdtempSync(`${tmpdir()}/ls-follow-log-`);
  mkdirSync(`${dir}/log`);
  const login: build.Login = { user: hostile, uid: null, tty: 'pts/1', rhost: '203.0.113.7', ruser: null, service: 'sshd', pid: 1, pid_start: 1 };
  writeFileSync(`${dir}/log/sessions.jsonl`, build.toLine(build.sessionOpen(origin, login, Date.UTC(2026, 10, 20) * 1000)));
  return {
    logDir: `${dir}/log`, logFile: `${dir}/log/sessions.jsonl`, runDir: `${dir}/run`, stateDir: `${dir}/state`, hostname: null, ignoreServices: [],
    fsync: false, maxBytes: 0, keepDays: 0, configPath: null, rulesPath: `${dir}/rules.json`, webhook: null, mail: null,
  };
}

async function follow(config: Config, format: 'raw' | 'ecs' | 'otel', terminal: boolean): Promise<string> {
  let written = '';
  const output = { write: (text: string) => void (written += text), warn: (m: string) => { throw new Error(m); }, fd: null, terminal };
  await followLog({ format, checkpoint: null, fromStart: true, input: null, once: true }, config, output, new AbortController().signal);
  return written;
}

describe('followLog()', () => {
  it.each(['raw', 'ecs', 'otel'] as const)('writes no character that steers a terminal, as JSON escapes of the same value (%s)', async (format) => {
    const config = setup();
    const shown = await follow(config, format, true);
    expect(shown).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/);
    expect(shown).toContain('\\u202e');
    // The same record as into a file or a pipe, where the bytes are the log's own.
    expect(JSON.parse(shown)).toEqual(JSON.parse(await follow(config, format, false)));
  });
});
