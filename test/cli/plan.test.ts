import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { Io } from "../../src/cli/command";
import { main } from "../../src/cli/main";
import { readCdktfJson, table } from "../../src/cli/plan";

// Synthesizes test/integration/fixtures/review-app.ts (the lab topology as
// stack "review-lab") against a made-up inventory: no host is contacted.
jest.setTimeout(60_000);

const root = path.resolve(__dirname, "..", "..");
const APP = `${root}/node_modules/.bin/ts-node --transpile-only -P ${root}/tsconfig.json ${root}/test/integration/fixtures/review-app.ts`;
const KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHJldmlldy10ZXN0LWtleS1ub3QtcmVhbC0wMDAw";

function capture(): Io & { out_: string[]; err_: string[] } {
  const out_: string[] = [];
  const err_: string[] = [];
  return { out_, err_, out: (l) => out_.push(l), err: (l) => err_.push(l) };
}

let dir: string;
const savedInventory = process.env.HOSTNET_INVENTORY;

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "hostnet-plan-test-"));
  const inventory = path.join(dir, "inventory.json");
  fs.writeFileSync(
    inventory,
    JSON.stringify({
      lab: "t",
      dir,
      bridge: "t",
      gateway: "198.18.7.1",
      subnet: "198.18.7.0/24",
      hosts: { a: { name: "a", address: "198.18.7.10", port: 22, user: "root", hostKey: KEY, netns: "t-a", rootVeth: "t" } },
    }),
  );
  process.env.HOSTNET_INVENTORY = inventory;
});

afterAll(() => {
  if (savedInventory === undefined) delete process.env.HOSTNET_INVENTORY;
  else process.env.HOSTNET_INVENTORY = savedInventory;
  fs.rmSync(dir, { recursive: true, force: true });
});

test("plan prints per host a count line and a row per object, and a summary line last", async () => {
  const io = capture();
  expect(await main(["plan", "--app", APP], io)).toBe(0);
  expect(io.err_).toEqual([]);
  expect(io.out_[0]).toBe("host a (198.18.7.10): 13 objects — 3 netns, 1 bridge, 3 veth, 3 route, 1 masquerade, 1 dnat, 1 sysctl");
  expect(io.out_[1]).toBe("  bridge      br-lan                     root                10.88.0.1/24  review-lab/a/br-lan");
  expect(io.out_).toContain("  route       default via 10.88.0.1      netns web           -             review-lab/a/web/default");
  expect(io.out_).toHaveLength(15);
  expect(io.out_[14]).toBe("stack review-lab: 1 host, 13 objects");
});

test("plan --out keeps the review; --json --scripts gives plan.json with the scripts", async () => {
  const out = path.join(dir, "out");
  const io = capture();
  expect(await main(["plan", "--app", APP, "--out", out, "--json", "--scripts", "--stack", "review-lab"], io)).toBe(0);
  const json = JSON.parse(io.out_.join("\n"));
  const reviewDir = path.join(out, "stacks", "review-lab", "review");
  expect(json.stacks).toHaveLength(1);
  expect(json.stacks[0]).toMatchObject({ stack: "review-lab", reviewDir, hosts: [{ name: "a", address: "198.18.7.10", port: 22 }] });
  const a = json.stacks[0].hosts[0];
  expect(a.objects).toHaveLength(13);
  expect(a.objects[0]).toEqual({
    path: "review-lab/a/br-lan",
    kind: "bridge",
    name: "br-lan",
    where: "root",
    addresses: ["10.88.0.1/24"],
    detail: "mtu 1500",
    dependsOn: [],
  });
  expect(a.up).toBe(fs.readFileSync(path.join(reviewDir, "a", "up.sh"), "utf8"));
  expect(a.down).toBe(fs.readFileSync(path.join(reviewDir, "a", "down.sh"), "utf8"));
  expect(fs.existsSync(path.join(reviewDir, "PLAN.md"))).toBe(true);
});

test("plan --stack with an unknown name lists the stacks", async () => {
  const io = capture();
  expect(await main(["plan", "--app", APP, "--stack", "nope"], io)).toBe(2);
  expect(io.err_).toEqual(['hostnet: the app has no stack "nope"; it has: review-lab.']);
});

test("a failing app: its messages without stack frames, then one line", async () => {
  const io = capture();
  expect(await main(["plan", "--app", "echo 'Error: bad topology' >&2; echo '    at Object.<anonymous> (x.ts:1:1)' >&2; exit 3"], io)).toBe(1);
  expect(io.err_).toEqual([
    "Error: bad topology",
    `hostnet: synth failed: "echo 'Error: bad topology' >&2; echo '    at Object.<anonymous> (x.ts:1:1)' >&2; exit 3" exited with code 3; its messages are above.`,
  ]);
});

test("an app that does not synthesize is reported", async () => {
  const io = capture();
  expect(await main(["plan", "--app", "true"], io)).toBe(1);
  expect(io.err_[0]).toMatch(/^hostnet: the app wrote no readable .*manifest\.json \(.*\); does it call app\.synth\(\)\?$/);
});

test("the app command and context come from cdktf.json", () => {
  const project = fs.mkdtempSync(path.join(dir, "project-"));
  expect(() => readCdktfJson(project)).toThrow(
    `cannot read the app command from ${project}/cdktf.json (there is none); run in the project folder or pass --app "CMD".`,
  );
  fs.writeFileSync(path.join(project, "cdktf.json"), JSON.stringify({ language: "typescript", context: {} }));
  expect(() => readCdktfJson(project)).toThrow(`${project}/cdktf.json has no "app" command; add one or pass --app "CMD".`);
  fs.writeFileSync(path.join(project, "cdktf.json"), JSON.stringify({ app: "npx ts-node main.ts", context: { k: "v" } }));
  expect(readCdktfJson(project)).toEqual({ app: "npx ts-node main.ts", context: { k: "v" } });
});

test("table pads columns and trims the last", () => {
  expect(
    table([
      ["a", "bbb", "c"],
      ["dd", "e", ""],
    ]),
  ).toEqual(["  a   bbb  c", "  dd  e"]);
});

test("help lists plan", async () => {
  const io = capture();
  await main(["help"], io);
  expect(io.out_).toContain("  hostnet plan [--app CMD] [--stack NAME] [--out DIR] [--scripts] [--json]");
});
