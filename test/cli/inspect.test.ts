import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { Io } from "../../src/cli/command";
import { main } from "../../src/cli/main";

function capture(): Io & { out_: string[]; err_: string[] } {
  const out_: string[] = [];
  const err_: string[] = [];
  return { out_, err_, out: (l) => out_.push(l), err: (l) => err_.push(l) };
}

describe("hostnet inspect", () => {
  test("help lists it", async () => {
    const io = capture();
    expect(await main(["help"], io)).toBe(0);
    expect(io.out_).toContain("  hostnet inspect <host> [--inventory F] [--json]");
  });

  test.each([
    [["inspect"], 'hostnet: "hostnet inspect" takes one host name, e.g. "hostnet inspect a"; got 0.'],
    [["inspect", "a", "b"], 'hostnet: "hostnet inspect" takes one host name, e.g. "hostnet inspect a"; got 2.'],
    [["inspect", "a", "--yaml"], 'hostnet: unknown option "--yaml" for "hostnet inspect"; it takes --inventory, --json.'],
  ])("user error %j prints one line and exits 2", async (argv, line) => {
    const io = capture();
    expect(await main(argv, io)).toBe(2);
    expect(io.err_).toEqual([line]);
    expect(io.out_).toEqual([]);
  });

  test("a host the inventory lacks is a user error listing the hosts it has", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "hostnet-cli-"));
    try {
      const f = path.join(dir, "inventory.json");
      fs.writeFileSync(f, JSON.stringify({ hosts: { a: {}, b: {} } }));
      const io = capture();
      expect(await main(["inspect", "c", "--inventory", f], io)).toBe(2);
      expect(io.err_).toEqual([`hostnet: inventory ${f} has no host "c"; it has: a, b.`]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test("a host that does not answer ssh is a system error (exit 1) that says what to check", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "hostnet-cli-"));
    try {
      const f = path.join(dir, "inventory.json");
      // Port 1 on loopback: nothing listens, the connection is refused at once.
      fs.writeFileSync(
        f,
        JSON.stringify({
          hosts: {
            a: {
              address: "127.0.0.1",
              port: 1,
              user: "root",
              hostKey: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFLaLzjWwhzi4ie45/rm3ZfzUE67Q4iWjnkGxVtBj/Lw",
            },
          },
        }),
      );
      const io = capture();
      expect(await main(["inspect", "a", "--inventory", f], io)).toBe(1);
      expect(io.err_).toHaveLength(1);
      expect(io.err_[0]).toMatch(
        /^hostnet: cannot inspect host a \(root@127\.0\.0\.1:1\) over ssh: .*refused.*\. Check that it is up \("hostnet lab status" for a lab\) and that the inventory's key is authorized there\.$/,
      );
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
