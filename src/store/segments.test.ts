import { mkdtempSync, rmSync, symlinkSync, utimesSync, writeFileSync, linkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { afterEach, describe, expect, it } from 'vitest';
import { listSegments, parseSegmentName, rotatedName } from './segments.ts';

let dir = '';
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('segments', () => {
  it('rotatedName() gives sessions-YYYYMMDDTHHMMSSZ.jsonl, with -N for more rotations in one second', () => {
    const at = new Date('2026-11-21T10:15:00.987Z');
    expect(rotatedName('sessions.jsonl', at)).toBe('sessions-20261121T101500Z.jsonl');
    expect(rotatedName('sessions.jsonl', at, 2)).toBe('sessions-20261121T101500Z-2.jsonl');
  });

  it('parseSegmentName() knows the writer\'s, logrotate\'s numbered and dated names, compressed or not', () => {
    expect(parseSegmentName('sessions.jsonl', 'sessions.jsonl')).toMatchObject({ scheme: 'live' });
    expect(parseSegmentName('sessions.jsonl', 'sessions-20261121T101500Z-3.jsonl.gz')).toEqual({ scheme: 'rotated', compressed: true, time: Date.UTC(2026, 10, 21, 10, 15, 0), seq: 3 });
    expect(parseSegmentName('sessions.jsonl', 'sessions.jsonl.2.gz')).toEqual({ scheme: 'numbered', compressed: true, time: null, seq: -2 });
    expect(parseSegmentName('sessions.jsonl', 'sessions.jsonl-20261121')).toEqual({ scheme: 'dated', compressed: false, time: null, seq: 0 });
    for (const other of ['wtmp.jsonl', 'sessions.jsonl.tmp', '.sessions-20261121T101500Z.jsonl.gz.12.tmp', 'sessions-2026.jsonl', 'sessionsX.jsonl']) {
      expect(parseSegmentName('sessions.jsonl', other), other).toBeNull();
    }
  });

  it('listSegments() orders oldest first, live last, skips a .gz whose plain file is still there, links and second names', () => {
    dir = mkdtempSync(`${tmpdir()}/ls-segments-`);
    const put = (name: string, mtime: number) => {
      writeFileSync(`${dir}/${name}`, `${name}\n`);
      utimesSync(`${dir}/${name}`, mtime, mtime);
    };
    put('sessions.jsonl', 900);
    put('sessions-20261121T101500Z-1.jsonl', 800);
    put('sessions-20261121T101500Z.jsonl.gz', 800);
    put('sessions-20261121T101500Z.jsonl', 800); // being compressed: the plain one is read
    put('sessions-20261120T000000Z.jsonl.gz', 700);
    put('sessions.jsonl.1', 600);
    put('sessions.jsonl.2.gz', 500);
    symlinkSync(`${dir}/sessions.jsonl.1`, `${dir}/sessions.jsonl.3`);
    linkSync(`${dir}/sessions.jsonl`, `${dir}/sessions.jsonl-20261122`);
    // Names from 2026 order after the logrotate files written in 1970.
    expect(listSegments(dir, 'sessions.jsonl').map((s) => s.name)).toEqual([
      'sessions.jsonl.2.gz',
      'sessions.jsonl.1',
      'sessions-20261120T000000Z.jsonl.gz',
      'sessions-20261121T101500Z.jsonl',
      'sessions-20261121T101500Z-1.jsonl',
      'sessions.jsonl',
    ]);
  });
});
