import { mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import * as build from '../record/build.ts';
import type { LogRecord } from '../record/types.ts';
import { CheckpointError } from './checkpoint-file.ts';
import { decodeSessionsCheckpoint, encodeSessionsCheckpoint, loadSessionsCheckpoint, saveSessionsCheckpoint } from './sessions-checkpoint-file.ts';
import { catchUp, keptRecords, type Checkpoint } from './sessions-checkpoint.ts';
import { expandInputs } from '../input/inputs.ts';

let dir = '';
beforeEach(() => {
  dir = mkdtempSync(`${tmpdir()}/ls-checkpoint-file-`);
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** A checkpoint of opens of every shape: null uid, tty, rhost and audit session, text beyond ASCII, a boot kept beside them. */
function checkpoint(): Checkpoint {
  const at = Date.UTC(2026, 10, 21, 8) * 1000;
  const records: LogRecord[] = [build.boot({ host: 'web1', boot_id: 'b1', source: 'systemd' }, at, '6.1', at - 5_000_000)];
  const logins: build.Login[] = [
    { user: 'alice', uid: 1000, tty: 'pts/0', rhost: '10.0.0.1', ruser: null, service: 'sshd', pid: 100, pid_start: 5 },
    { user: 'jürgen ☃', uid: null, tty: null, rhost: null, ruser: null, service: 'login', pid: 2 ** 22, pid_start: 2 ** 40 },
    { user: 'bob', uid: 4_294_967_294, tty: 'tty1', rhost: 'ws\u001b[31m', ruser: null, service: 'su', pid: 7, pid_start: 0, audit_session: 4_294_967_294 } as build.Login,
  ];
  logins.forEach((l, i) => records.push(build.sessionOpen({ host: i === 1 ? 'db1' : 'web1', boot_id: 'b1', source: 'pam' }, l, at + (i + 1) * 1_000_000)));
  writeFileSync(`${dir}/sessions.jsonl`, records.map(build.toLine).join(''));
  return catchUp(null, expandInputs([dir])).checkpoint;
}

describe('the sessions checkpoint file', () => {
  it('loads as it was saved: the same records kept, the same marks', () => {
    const c = checkpoint();
    expect(c.opens.count).toBe(3);
    const path = `${dir}/state/sessions.checkpoint`;
    saveSessionsCheckpoint(path, c);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    const loaded = loadSessionsCheckpoint(path) as Checkpoint;
    expect(keptRecords(loaded)).toEqual(keptRecords(c));
    expect({ ...loaded, opens: null }).toEqual({ ...c, opens: null });
    expect({ ...loaded.opens }).toEqual({ ...c.opens });
  });

  it('is no checkpoint when there is none, or when it is of another version (an older JSON one too), and that older file goes at the first save', () => {
    expect(loadSessionsCheckpoint(`${dir}/none`)).toBeNull();
    writeFileSync(`${dir}/old`, '{"version":3,"files":[],"strings":[],"opens":[],"others":[],"closesWithoutOpen":0}');
    expect(loadSessionsCheckpoint(`${dir}/old`)).toBeNull();
    const bytes = encodeSessionsCheckpoint(checkpoint());
    const other = Buffer.concat([Buffer.from('logsphere sessions checkpoint 5\n'), bytes.subarray(bytes.indexOf(0x0a) + 1)]);
    expect(decodeSessionsCheckpoint('c', other)).toBeNull();
    writeFileSync(`${dir}/sessions.checkpoint.json`, '{}');
    saveSessionsCheckpoint(`${dir}/sessions.checkpoint`, checkpoint());
    expect(() => statSync(`${dir}/sessions.checkpoint.json`)).toThrow();
  });

  it('is an error naming the file when it does not hold together', () => {
    const bytes = encodeSessionsCheckpoint(checkpoint());
    const broken: Array<[string, Buffer]> = [
      ['not a sessions checkpoint', Buffer.from('something else\n')],
      ['cut short', bytes.subarray(0, bytes.length - 40)],
      ['cut short', bytes.subarray(0, bytes.indexOf(0x0a, 40) + 20)],
      ['damaged', Buffer.concat([bytes, Buffer.from('more')])],
      ['damaged', Buffer.from('logsphere sessions checkpoint 4\n{"files":[],"count":1}\n')],
      ['damaged', Buffer.from('logsphere sessions checkpoint 4\n{"files":[')],
    ];
    // A string index out of range: the first Int32 after the number columns is the first session's source.
    const headEnd = bytes.indexOf(0x0a, bytes.indexOf(0x0a) + 1) + 1;
    const columns = headEnd + ((8 - (headEnd % 8)) % 8);
    const outOfRange = Buffer.from(bytes);
    outOfRange.writeInt32LE(99_999, columns + 5 * 8 * 3);
    broken.push(['a session refers to a string it does not have', outOfRange]);
    // A host (not nullable) of -1, and a string table with a number in it.
    const nullHost = Buffer.from(bytes);
    nullHost.writeInt32LE(-1, columns + 5 * 8 * 3 + 4 * 3);
    broken.push(['a session refers to a string it does not have', nullHost]);
    // (the same length, padded with spaces, which JSON allows: the columns stay where they were)
    const headText = bytes.toString('utf8', bytes.indexOf(0x0a) + 1, headEnd - 1);
    const head = JSON.parse(headText) as { strings: unknown[] };
    head.strings[0] = 7;
    const numbered = JSON.stringify(head).padEnd(Buffer.byteLength(headText));
    broken.push(['damaged', Buffer.concat([bytes.subarray(0, bytes.indexOf(0x0a) + 1), Buffer.from(numbered), bytes.subarray(headEnd - 1)])]);
    for (const [why, data] of broken) {
      expect(() => decodeSessionsCheckpoint('/var/lib/logsphere/sessions.checkpoint', data), why).toThrow(new CheckpointError('/var/lib/logsphere/sessions.checkpoint', why));
    }
  });

  it('is not read through a link', () => {
    saveSessionsCheckpoint(`${dir}/real`, checkpoint());
    symlinkSync(`${dir}/real`, `${dir}/link`);
    expect(() => loadSessionsCheckpoint(`${dir}/link`)).toThrow(CheckpointError);
    expect(readFileSync(`${dir}/real`).subarray(0, 32).toString()).toBe('logsphere sessions checkpoint 4\n');
  });
});
