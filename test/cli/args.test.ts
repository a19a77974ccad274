import { noPositionals, parseArgs } from "../../src/cli/args";

const spec = { name: "string", hosts: "int", json: "boolean" } as const;

describe("parseArgs", () => {
  test.each([
    [[], {}, []],
    [["--name", "t1"], { name: "t1" }, []],
    [["--name=t1", "--hosts=3"], { name: "t1", hosts: 3 }, []],
    [["--json", "extra"], { json: true }, ["extra"]],
    [["--", "--name"], {}, ["--name"]],
  ])("%j gives flags %j and words %j", (args, flags, positionals) => {
    expect(parseArgs(args as string[], spec, "hostnet x")).toEqual({ flags, positionals });
  });

  test.each([
    [["--nmae", "x"], 'unknown option "--nmae" for "hostnet x"; it takes --name, --hosts, --json.'],
    [["--name"], 'option --name of "hostnet x" needs a value.'],
    [["--hosts", "two"], 'option --hosts of "hostnet x" needs a whole number, got "two".'],
    [["--hosts", "-1"], 'option --hosts of "hostnet x" needs a whole number, got "-1".'],
    [["--json=yes"], 'option --json of "hostnet x" takes no value.'],
  ])("%j is rejected: %s", (args, message) => {
    expect(() => parseArgs(args as string[], spec, "hostnet x")).toThrow(message);
  });

  test("leftover words are rejected", () => {
    expect(() => noPositionals(parseArgs(["up"], spec, "hostnet x"), "hostnet x")).toThrow('unexpected argument "up" for "hostnet x".');
  });
});
