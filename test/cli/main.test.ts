import { Io } from "../../src/cli/command";
import { main } from "../../src/cli/main";

describe("main", () => {
  function capture(): Io & { out_: string[]; err_: string[] } {
    const out_: string[] = [];
    const err_: string[] = [];
    return { out_, err_, out: (l) => out_.push(l), err: (l) => err_.push(l) };
  }

  test("help lists the lab commands", async () => {
    const io = capture();
    expect(await main(["help"], io)).toBe(0);
    expect(io.out_).toContain("  hostnet lab up [--name L] [--hosts N] [--index N] [--dir D]");
  });

  test.each([
    [["frob"], 'hostnet: unknown command "frob"; run "hostnet help" for the list.'],
    [["lab"], 'hostnet: missing subcommand for "hostnet lab"; use one of: up, down, status.'],
    [["lab", "sideways"], 'hostnet: unknown subcommand "sideways" for "hostnet lab"; use one of: up, down, status.'],
    [
      ["lab", "up", "--name", "Bad"],
      'hostnet: lab name "Bad" is invalid: use 1-8 characters, a lowercase letter first, then lowercase letters or digits (e.g. "lab", "t1").',
    ],
    [["lab", "up", "--hosts", "0"], "hostnet: host count 0 is invalid: a lab has 1 to 26 hosts (--hosts N)."],
    [["lab", "down", "--hosts", "2"], 'hostnet: unknown option "--hosts" for "hostnet lab down"; it takes --name, --dir.'],
  ])("user error %j prints one line and exits 2", async (argv, line) => {
    const io = capture();
    expect(await main(argv as string[], io)).toBe(2);
    expect(io.err_).toEqual([line]);
    expect(io.out_).toEqual([]);
  });
});
