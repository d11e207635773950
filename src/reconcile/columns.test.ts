import { describe, expect, it } from 'vitest';
import { newId } from '../record/ids.ts';
import { float64, Interner, UuidTable } from './columns.ts';

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
});
