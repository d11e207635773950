import { describe, expect, it } from 'vitest';
import { importUsage, parseImportArgs } from './import.ts';

describe('parseImportArgs()', () => {
  it.each([
    [['wtmpdb'], { kind: 'wtmpdb', files: ['/var/lib/wtmpdb/wtmp.db'], host: null, output: null }],
    [['lastlog2'], { kind: 'lastlog2', files: ['/var/lib/lastlog/lastlog2.db'], host: null, output: null }],
    [['wtmpdb', 'wtmp.db', 'wtmp_20260101.db', '--host', 'old', '--output', 'h.jsonl'], { kind: 'wtmpdb', files: ['wtmp.db', 'wtmp_20260101.db'], host: 'old', output: 'h.jsonl' }],
    [['wtmp'], { kind: 'wtmp', files: ['/var/log/wtmp'] }],
  ] as const)('%j', (args, expected) => {
    expect(parseImportArgs([...args])).toMatchObject(expected);
  });

  it.each([
    [[], 'import: which format? wtmp, btmp, utmp, authlog, logsphere-v2, wtmpdb or lastlog2'],
    [['sqlite'], 'import: "sqlite" is not a format this release reads (wtmp, btmp, utmp, authlog, logsphere-v2, wtmpdb, lastlog2)'],
    [['authlog'], 'import authlog: no FILE given'],
  ])('rejects %j', (args, message) => {
    expect(() => parseImportArgs(args)).toThrow(message);
  });

  it('names every format it reads in its usage line', () => {
    expect(importUsage.split('\n')[0]).toBe('Usage: logsphere import wtmp|btmp|utmp|authlog|logsphere-v2|wtmpdb|lastlog2 FILE... [OPTIONS]');
  });
});
