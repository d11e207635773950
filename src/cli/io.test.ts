import { spawn, spawnSync } from 'node:child_process';
import { closeSync, constants, existsSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { afterEach, describe, expect, it } from 'vitest';
import { cliBundle, nodePath } from '../../test/helpers/paths.ts';
import { mayBeTerminal, writeFully, type WriteSystem } from './io.ts';

let dir = '';
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const failure = (code: string) => Object.assign(new Error(code), { code });

/** A FIFO whose ends are both open here, the write end non-blocking. */
function fifo(): { reader: number; writer: number } {
  dir = mkdtempSync(`${tmpdir()}/ls-io-`);
  const path = `${dir}/pipe`;
  expect(spawnSync('mkfifo', [path]).status).toBe(0);
  const reader = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  const writer = openSync(path, constants.O_WRONLY | constants.O_NONBLOCK);
  return { reader, writer };
}

/** A non-blocking pipe whose reader, `cat` into `out`, starts reading after 0.3 s; `done` when it has read to the end. */
function slowlyRead(): { writer: number; out: string; done: Promise<unknown> } {
  const { reader, writer } = fifo();
  const out = `${dir}/out`;
  const blocking = openSync(`${dir}/pipe`, constants.O_RDONLY);
  closeSync(reader);
  const cat = spawn('/bin/sh', ['-c', `sleep 0.3; exec cat > ${out}`], { stdio: [blocking, 'ignore', 'inherit'] });
  closeSync(blocking);
  return { writer, out, done: new Promise((resolve) => cat.on('exit', resolve)) };
}

describe('writeFully', () => {
  it('writes what is left after short writes, and waits while the descriptor is full (EAGAIN)', () => {
    const written: number[] = [];
    const pauses: number[] = [];
    let calls = 0;
    const sys: WriteSystem = {
      write(_fd, bytes, offset, length) {
        calls++;
        if (calls % 3 === 0) throw failure('EAGAIN');
        const n = Math.min(length, 7);
        written.push(...bytes.subarray(offset, offset + n));
        return n;
      },
      pause: (ms) => void pauses.push(ms),
    };
    const text = 'sessions: é…\n'.repeat(20);
    expect(writeFully(1, text, sys)).toBe(true);
    expect(Buffer.from(written).toString()).toBe(text);
    expect(pauses.length).toBeGreaterThan(3);
  });

  it('says false when no one reads (EPIPE), and throws other errors', () => {
    const sys = (code: string): WriteSystem => ({ write: () => { throw failure(code); }, pause: () => undefined });
    expect(writeFully(1, 'x', sys('EPIPE'))).toBe(false);
    expect(() => writeFully(1, 'x', sys('EBADF'))).toThrow('EBADF');
  });

  it('writes a megabyte whole into a non-blocking pipe that a slow reader empties', async () => {
    const { writer, out, done } = slowlyRead();
    const data = Buffer.alloc(1 << 20, 'abcdefghij\n');
    try {
      // More than a pipe holds: EAGAIN until cat starts reading.
      expect(writeFully(writer, data)).toBe(true);
    } finally {
      closeSync(writer);
    }
    await done;
    expect(readFileSync(out).equals(data)).toBe(true);
  });

  it('says false on a pipe whose reader is gone', () => {
    const { reader, writer } = fifo();
    closeSync(reader);
    try {
      expect(writeFully(writer, 'late\n')).toBe(false);
    } finally {
      closeSync(writer);
    }
  });
});

describe('mayBeTerminal', () => {
  it('rules out files, pipes and the memory devices without asking the tty layer', () => {
    const { reader, writer } = fifo();
    const nul = openSync('/dev/null', 'w');
    try {
      expect(mayBeTerminal(writer)).toBe(false);
      expect(mayBeTerminal(nul)).toBe(false);
      expect(mayBeTerminal(999)).toBe(false);
    } finally {
      for (const fd of [reader, writer, nul]) closeSync(fd);
    }
  });
});

describe.skipIf(!existsSync(cliBundle))('the CLI\'s output', () => {
  it('ends quietly, status 0, when its reader is gone', () => {
    const { reader, writer } = fifo();
    closeSync(reader);
    try {
      const r = spawnSync(nodePath, [cliBundle, '--help'], { stdio: ['ignore', writer, 'pipe'], encoding: 'utf8' });
      expect({ status: r.status, stderr: r.stderr }).toEqual({ status: 0, stderr: '' });
    } finally {
      closeSync(writer);
    }
  });

  it('writes all of a long answer into a non-blocking pipe read slowly', async () => {
    const { writer, out, done } = slowlyRead();
    // 2,000 sessions open on another host: some 800 KB of JSON, more than a pipe holds.
    const lines = Array.from({ length: 2000 }, (_, i) => `${JSON.stringify({
      schema: 'logsphere/1', event_id: `019a0000-0000-7000-8000-${String(i).padStart(12, '0')}`, ts: '2026-11-21T08:00:00.000000Z', host: 'db2.example',
      boot_id: '3f1c2a4e-0000-4000-8000-00000000db02', source: 'pam', event: 'session_open', session_id: `019a0000-0000-7000-9000-${String(i).padStart(12, '0')}`,
      user: 'dave', uid: 1000, tty: `pts/${i}`, rhost: '203.0.113.7', ruser: null, service: 'sshd', pid: 4242 + i, pid_start: 77,
    })}\n`);
    writeFileSync(`${dir}/log.jsonl`, lines.join(''));
    const env = { LOGSPHERE_CONFIG: '/dev/null', LOGSPHERE_LOG_DIR: `${dir}/log`, LOGSPHERE_RUN_DIR: `${dir}/run`, LOGSPHERE_STATE_DIR: `${dir}/state` };
    const args = [cliBundle, 'sessions', '--json', '--input', `${dir}/log.jsonl`];
    const expected = spawnSync(nodePath, args, { encoding: 'utf8', env, maxBuffer: 1 << 24 }).stdout;
    expect(expected.length).toBeGreaterThan(1 << 18);
    const r = spawnSync(nodePath, args, { stdio: ['ignore', writer, 'pipe'], encoding: 'utf8', env });
    closeSync(writer);
    await done;
    expect({ status: r.status, stderr: r.stderr }).toEqual({ status: 0, stderr: '' });
    expect(readFileSync(out, 'utf8')).toBe(expected);
  });
});
