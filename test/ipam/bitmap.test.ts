import { Bitmap } from "../../src/ipam/bitmap";

function filled(size: number, upTo: number): Bitmap {
  const b = new Bitmap(size);
  for (let i = 0; i < upTo; i++) b.set(i);
  return b;
}

describe("Bitmap set / clear / has", () => {
  test.each([0, 1, 30, 31, 32, 33, 63, 64, 99])("bit %i sets and clears alone", (i) => {
    const b = new Bitmap(100);
    b.set(i);
    for (let j = 0; j < 100; j++) expect(b.has(j)).toBe(j === i);
    b.clear(i);
    expect(b.has(i)).toBe(false);
  });

  test("bit 31 (the sign bit of a word) reads back as set", () => {
    const b = new Bitmap(32);
    b.set(31);
    expect(b.has(31)).toBe(true);
    expect(b.firstClear()).toBe(0);
  });

  test("clear leaves the neighbours in the same word set", () => {
    const b = filled(64, 64);
    b.clear(33);
    expect([b.has(32), b.has(33), b.has(34)]).toEqual([true, false, true]);
  });

  test("set twice and clear twice are harmless", () => {
    const b = new Bitmap(8);
    b.set(3);
    b.set(3);
    expect(b.has(3)).toBe(true);
    b.clear(3);
    b.clear(3);
    expect(b.has(3)).toBe(false);
  });

  test.each([-1, 100, 1.5, NaN])("bit %p of a 100-bit map is a RangeError", (i) => {
    const b = new Bitmap(100);
    expect(() => b.set(i)).toThrow(new RangeError(`bit ${i} is outside 0..99`));
    expect(() => b.has(i)).toThrow(RangeError);
    expect(() => b.clear(i)).toThrow(RangeError);
  });
});

describe("Bitmap.firstClear", () => {
  test.each([
    // size, bits set from 0, expected first clear
    [100, 0, 0],
    [100, 31, 31],
    [100, 32, 32],
    [100, 33, 33],
    [100, 64, 64],
    [100, 99, 99],
    [100, 100, -1],
    [32, 32, -1],
    [33, 32, 32],
    [33, 33, -1],
    [1, 0, 0],
    [1, 1, -1],
    [70, 69, 69],
  ])("size %i with bits 0..%i set: %i", (size, upTo, want) => {
    expect(filled(size, upTo).firstClear()).toBe(want);
  });

  test("skips full words and finds a hole in a later one", () => {
    const b = filled(200, 200);
    b.clear(150);
    expect(b.firstClear()).toBe(150);
  });

  test("never returns a bit past the size, even when the last word has room", () => {
    // 40 bits: the second word holds 8 real bits and 24 that do not exist.
    expect(filled(40, 40).firstClear()).toBe(-1);
  });

  test.each([
    [0, 5],
    [5, 5],
    [6, 40],
    [32, 40],
    [40, 40],
    [41, 41],
    [63, 63],
    [64, -1],
  ])("from %i finds %i (bits 0..4 and 6..39 set, 5 clear, 40..63 clear)", (from, want) => {
    const b = filled(64, 40);
    b.clear(5);
    expect(b.firstClear(from)).toBe(want);
  });

  test("a zero-size map has no clear bit", () => {
    expect(new Bitmap(0).firstClear()).toBe(-1);
  });
});
