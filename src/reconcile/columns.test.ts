import { describe, expect, it } from 'vitest';
import { newId } from '../record/ids.ts';
import { JsonBytes } from '../record/json-bytes.ts';
import { float64, int32, Interner, StringTable, uuidOfWords, UuidTable, uuidWords } from './columns.ts';

describe('UuidTable', () => {
  it('finds what it stored, by value, through growth, and writes ids back unchanged', () => {
    const table = new UuidTable();
    const ids = Array.from({ length: 20_000 }, (_, i) => newId(1_700_000_000_000_000 + i));
    ids.forEach((id, i) => expect(table.add(id)).toBe(i));
    ids.forEach((id, i) => {
      expect(table.find(id)).toBe(i);
      expect(table.uuidAt(i)).toBe(id);
    });
    expect(table.find('01900000-0000-7000-8000-000000000000')).toBe(-1);
    expect(table.uuidAt(0)).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });
});

describe('uuidWords', () => {
  // What the words were before they were read digit by digit.
  const byParseInt = (uuid: string) => [
    parseInt(uuid.slice(0, 8), 16),
    parseInt(uuid.slice(9, 13) + uuid.slice(14, 18), 16),
    parseInt(uuid.slice(19, 23) + uuid.slice(24, 28), 16),
    parseInt(uuid.slice(28, 36), 16),
  ];

  it('reads the four words of an id, and gives it back', () => {
    for (const uuid of ['00000000-0000-0000-0000-000000000000', 'ffffffff-ffff-ffff-ffff-ffffffffffff', '019ad749-c126-7c9c-9f51-1bb758b27ca2', ...Array.from({ length: 200 }, (_, i) => newId(1_700_000_000_000_000 + i * 7919))]) {
      expect(uuidWords(uuid)).toEqual(byParseInt(uuid));
      expect(uuidOfWords(uuidWords(uuid))).toBe(uuid);
    }
    expect(uuidWords('019AD749-C126-7C9C-9F51-1BB758B27CA2')).toEqual(byParseInt('019ad749-c126-7c9c-9f51-1bb758b27ca2'));
  });

  it('reads what is not an id as parseInt does', () => {
    for (const text of ['', 'not-a-uuid', '019ad749-c126-7c9c-9f51-1bb758b27cz2', '019ad749-c126-7c9c-9f51', '019ad749xc126-7c9c-9f51-1bb758b27ca2', 'g19ad749-c126-7c9c-9f51-1bb758b27ca2']) {
      expect(uuidWords(text)).toEqual(byParseInt(text));
    }
  });
});

describe('Interner and columns', () => {
  it('map strings and null to numbers and back', () => {
    const strings = new Interner();
    expect(strings.id('a')).toBe(0);
    expect(strings.id('b')).toBe(1);
    expect(strings.id('a')).toBe(0);
    expect(strings.id(null)).toBe(-1);
    expect([strings.value(1), strings.value(-1)]).toEqual(['b', null]);
    const column = float64();
    for (let i = 0; i < 5000; i++) column.push(i / 2);
    expect([column.length, column.get(4999)]).toEqual([5000, 2499.5]);
  });

  it('keep a column whole over many chunks, its first one grown', () => {
    const column = int32();
    const n = 300_000;
    for (let i = 0; i < n; i++) column.push(i * 3);
    column.set(65_536, -1);
    column.set(n - 1, -2);
    expect(column.length).toBe(n);
    const wrong = [];
    for (let i = 0; i < n; i++) if (column.get(i) !== (i === 65_536 ? -1 : i === n - 1 ? -2 : i * 3)) wrong.push(i);
    expect(wrong).toEqual([]);
  });

  it('number the strings of tables after one another, apart from strings looked up one by one', () => {
    const strings = new Interner();
    expect(strings.id('own')).toBe(0);
    const a = strings.addTable(StringTable.of(['x', 'ë€😀', 'own']));
    const b = strings.addTable(StringTable.of(['y', 'z']));
    expect(b).toBe(a + 3);
    expect(strings.id('late')).toBe(1);
    expect([b + 1, a, a + 1, a + 2, 0, b, 1].map((id) => strings.value(id))).toEqual(['z', 'x', 'ë€😀', 'own', 'own', 'y', 'late']);
    const written: Buffer[] = [];
    const out = new JsonBytes((bytes) => written.push(Buffer.from(bytes)));
    for (const id of [a, a + 1, -1, 0]) {
      out.reserve(strings.jsonRoom(id));
      strings.jsonInto(id, out);
    }
    out.flush();
    expect(Buffer.concat(written).toString()).toBe('"x""ë€😀"null"own"');
  });
});
