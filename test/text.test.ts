import * as path from "path";
import { compareText, displayPath } from "../src/text";

describe("compareText", () => {
  test.each([
    ["a", "b", -1],
    ["b", "a", 1],
    ["a", "a", 0],
    // Code-unit order, not the locale's: upper case before lower case, "/" before letters.
    ["B", "a", -1],
    ["s/a/x", "s/ab", -1],
  ])("%j vs %j", (a, b, expected) => {
    expect(compareText(a, b)).toBe(expected);
  });

  test("sorts the same as the review always did", () => {
    expect(["s/b", "s/a/z", "S", "s/a"].sort(compareText)).toEqual(["S", "s/a", "s/a/z", "s/b"]);
  });
});

describe("displayPath", () => {
  test.each([
    [path.join(process.cwd(), "hostnet.lock.json"), "hostnet.lock.json"],
    [path.join(process.cwd(), "cdktf.out", "stacks", "s"), path.join("cdktf.out", "stacks", "s")],
    [process.cwd(), process.cwd()],
    ["/elsewhere/file", "/elsewhere/file"],
    [path.dirname(process.cwd()), path.dirname(process.cwd())],
  ])("%s is shown as %s", (p, shown) => {
    expect(displayPath(p)).toBe(shown);
  });
});
