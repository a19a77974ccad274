import { checkClassId, checkRate, checkSize, formatRate, htbQuantum, rateBits, sizeBytes } from "../../src/validate/tc";

describe("rateBits", () => {
  test.each<[string, number | null]>([
    ["20mbit", 20e6],
    ["512kbit", 512e3],
    ["1gbit", 1e9],
    ["1.5mbit", 1.5e6],
    ["100bit", 100],
    ["1mibit", 1024 * 1024],
    ["1mbps", 8e6],
    ["20MBIT", 20e6],
    ["20", null],
    ["mbit", null],
    ["20 mbit", null],
    ["-1mbit", null],
    ["0mbit", null],
    ["20furlongs", null],
    ["20mbit; rm -rf /", null],
  ])("%s", (text, bits) => {
    expect(rateBits(text)).toBe(bits);
  });
});

describe("sizeBytes", () => {
  test.each<[string, number | null]>([
    ["1600", 1600],
    ["15k", 15360],
    ["15kb", 15360],
    ["1mb", 1048576],
    ["8kbit", 1024],
    ["15 k", null],
    ["k", null],
    ["0", null],
    ["1.5k", null],
  ])("%s", (text, bytes) => {
    expect(sizeBytes(text)).toBe(bytes);
  });
});

describe("checks", () => {
  test("rate", () => {
    expect(checkRate("20mbit", "rate")).toBeNull();
    expect(checkRate("fast", "rate")).toBe(`rate "fast" is not a tc rate; write a number and a unit, e.g. "20mbit", "512kbit" or "1gbit".`);
  });
  test("size", () => {
    expect(checkSize("15k", "burst")).toBeNull();
    expect(checkSize("big\n", "burst")).toBe(`burst "big\\n" is not a tc size; write bytes with an optional unit, e.g. "15k", "1600" or "1mb".`);
  });
  test.each([
    [2, null],
    [10, null],
    [9999, null],
    [1, "class id 1 must be a whole number from 2 to 9999 (1 is the parent class hostnet adds)."],
    [0, "class id 0 must be a whole number from 2 to 9999 (1 is the parent class hostnet adds)."],
    [10000, expect.any(String)],
    [2.5, expect.any(String)],
  ])("class id %s", (id, msg) => {
    expect(checkClassId(id as number)).toEqual(msg);
  });
});

describe("htbQuantum and formatRate", () => {
  test.each([
    [20e6, 200000],
    [10e6, 125000],
    [64e3, 1514],
    [1e9, 200000],
  ])("quantum for %s bit/s is %s bytes", (bits, q) => {
    expect(htbQuantum(bits)).toBe(q);
  });
  test.each([
    [60e6, "60mbit"],
    [1e9, "1gbit"],
    [1500e3, "1500kbit"],
    [1234, "1234bit"],
    [2500e6, "2500mbit"],
  ])("%s bit/s is %s", (bits, text) => {
    expect(formatRate(bits)).toBe(text);
  });
});
