/**
 * Issue 7: addresses recorded in hostnet.lock.json stay put when endpoints are
 * inserted, removed or reordered; only the changed endpoints' resources (and
 * the host's preflight hook, whose keep-list names every object) change.
 */
import { App, Testing } from "cdktf";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { Bridge, Endpoint, HostnetStack, Subnet } from "../../constructs";
import { newHost } from "../support/stacks";

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "hostnet-stable-"));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

interface Built {
  app: App;
  stack: HostnetStack;
  subnet: Subnet;
  endpoints: Map<string, Endpoint>;
  early: string[];
}

function build(
  names: readonly string[],
  opts: { lockFile?: string | false; cidr?: string; fixed?: Record<string, string>; early?: string[] } = {},
): Built {
  const app = Testing.app({ outdir: path.join(dir, "out") });
  const stack = new HostnetStack(app, "s", { lockFile: opts.lockFile ?? path.join(dir, "hostnet.lock.json") });
  const host = newHost(stack);
  const subnet = new Subnet(host, "lan", { cidr: opts.cidr ?? "10.60.0.0/23" });
  const bridge = new Bridge(host, "br", { address: subnet.gateway });
  // Read at once, as a construct that copies `.ip` in its constructor (RoutedEndpoint) does.
  const early = (opts.early ?? []).map((label) => subnet.allocate(label).ip);
  const endpoints = new Map(
    names.map((n) => {
      const fixed = opts.fixed?.[n];
      return [n, new Endpoint(host, n, { bridge, address: fixed ? undefined : subnet })] as const;
    }),
  );
  // Explicit addresses: an Endpoint takes an Address, so ask the subnet by name for the holder.
  for (const [n, ip] of Object.entries(opts.fixed ?? {})) {
    const ep = new Endpoint(host, `${n}-x`, { bridge, address: subnet.address(ip, `s/a/${n}`) });
    endpoints.set(n, ep);
  }
  return { app, stack, subnet, endpoints, early };
}

/** Synthesize like `cdktf synth` (validations, lock file) and return every hook resource by construct path ("s/a" is the host hook). */
function synth(b: Built): Record<string, string> {
  b.app.synth();
  const json = JSON.parse(fs.readFileSync(path.join(dir, "out", "stacks", "s", "cdk.tf.json"), "utf8"));
  const out: Record<string, string> = {};
  for (const r of Object.values(
    json.resource.terraform_data as Record<string, { provisioner: Array<{ "local-exec": { environment: { HN_PATH: string } } }> }>,
  )) {
    out[r.provisioner[0]["local-exec"].environment.HN_PATH] = JSON.stringify(r);
  }
  return out;
}

function changed(a: Record<string, string>, b: Record<string, string>): string[] {
  return [...new Set([...Object.keys(a), ...Object.keys(b)])].filter((k) => a[k] !== b[k]).sort();
}

const names = (n: number) => Array.from({ length: n }, (_, i) => `e${String(i).padStart(3, "0")}`);
const ipOf = (b: Built, n: string) => String(b.endpoints.get(n)!.address);

describe("stable addresses with a lock file (200 endpoints)", () => {
  const base = names(200);

  test("inserting an endpoint in the middle changes only its resource and the host's sweep (not its preflight)", () => {
    const before = synth(build(base));
    const withNew = [...base.slice(0, 100), "ins", ...base.slice(100)];
    const b = build(withNew);
    const after = synth(b);
    expect(changed(before, after)).toEqual(["s/a/ins", "s/a/sweep"]);
    expect(ipOf(b, "ins")).toBe("10.60.0.202/23");
    expect(ipOf(b, "e100")).toBe("10.60.0.102/23");
  });

  test("control: without a lock file the same insertion renumbers every later endpoint", () => {
    const before = synth(build(base, { lockFile: false }));
    const after = synth(build([...base.slice(0, 100), "ins", ...base.slice(100)], { lockFile: false }));
    expect(changed(before, after).length).toBe(102);
    expect(fs.existsSync(path.join(dir, "hostnet.lock.json"))).toBe(false);
  });

  test("removing an endpoint changes only the host's sweep; its address is reused lowest first by the next new one", () => {
    const before = synth(build(base));
    const without = base.filter((n) => n !== "e050" && n !== "e150");
    expect(changed(before, synth(build(without)))).toEqual(["s/a/e050", "s/a/e150", "s/a/sweep"]);
    const lock = JSON.parse(fs.readFileSync(path.join(dir, "hostnet.lock.json"), "utf8"));
    expect(lock.subnets["s/a/lan"].addresses["s/a/e050"]).toBeUndefined();
    const b = build(["late1", ...without, "late2"]);
    synth(b);
    expect([ipOf(b, "late1"), ipOf(b, "late2")]).toEqual(["10.60.0.52/23", "10.60.0.152/23"]);
  });

  test("reordering every endpoint changes no endpoint's resource", () => {
    const before = synth(build(base));
    const after = synth(build([...base].reverse()));
    expect(changed(before, after).filter((p) => p !== "s/a")).toEqual([]);
  });

  test("synthesizing twice writes the same lock file, byte for byte, sorted by holder", () => {
    synth(build(base));
    const first = fs.readFileSync(path.join(dir, "hostnet.lock.json"), "utf8");
    synth(build([...base].reverse()));
    expect(fs.readFileSync(path.join(dir, "hostnet.lock.json"), "utf8")).toBe(first);
    expect(first.split("\n").slice(0, 8)).toEqual([
      "{",
      '  "version": 1,',
      '  "subnets": {',
      '    "s/a/lan": {',
      '      "cidr": "10.60.0.0/23",',
      '      "addresses": {',
      '        "s/a/e000": "10.60.0.2",',
      '        "s/a/e001": "10.60.0.3",',
    ]);
  });
});

describe("addresses read before every holder has asked", () => {
  test("an address read at construction neither takes nor moves the recorded addresses of holders declared after it", () => {
    const before = synth(build(names(20)));
    const b = build(names(20), { early: ["first"] });
    const after = synth(b);
    expect(b.early).toEqual(["10.60.0.22"]);
    expect(changed(before, after)).toEqual([]);
    expect(JSON.parse(fs.readFileSync(path.join(dir, "hostnet.lock.json"), "utf8")).subnets["s/a/lan"].addresses.first).toBe("10.60.0.22");
  });
});

describe("explicit addresses and the lock file", () => {
  test("an explicit address wins over a recorded one and is recorded; the holder that had it moves", () => {
    synth(build(["web", "db"], { cidr: "10.60.0.0/24" }));
    const b = build(["web"], { cidr: "10.60.0.0/24", fixed: { api: "10.60.0.3" } });
    synth(b);
    expect(ipOf(b, "api")).toBe("10.60.0.3/24");
    const lock = JSON.parse(fs.readFileSync(path.join(dir, "hostnet.lock.json"), "utf8"));
    expect(lock.subnets["s/a/lan"].addresses).toEqual({ "s/a/api": "10.60.0.3", "s/a/web": "10.60.0.2" });
    const c = build(["web", "db"], { cidr: "10.60.0.0/24", fixed: { api: "10.60.0.2" } });
    synth(c);
    expect([ipOf(c, "api"), ipOf(c, "web"), ipOf(c, "db")]).toEqual(["10.60.0.2/24", "10.60.0.3/24", "10.60.0.4/24"]);
  });
});

describe("a lock file that disagrees with the stack is a synth error", () => {
  const lockAt = () => path.join(dir, "hostnet.lock.json");
  const synthError = (b: Built) => {
    try {
      b.app.synth();
    } catch (e) {
      return (e as Error).message;
    }
    throw new Error("synth succeeded");
  };

  test("a subnet resized so recorded addresses fall outside names the subnet, both CIDRs, the holder and the fix", () => {
    synth(build(names(10), { cidr: "10.60.0.0/24" }));
    const before = fs.readFileSync(lockAt(), "utf8");
    const msg = synthError(build(names(10), { cidr: "10.60.0.0/29" }));
    expect(msg).toContain(
      `s/a/lan: ${lockAt()} records addresses outside the subnet, which is now 10.60.0.0/29 but was 10.60.0.0/24 when the file was written: ` +
        `s/a/e006 (10.60.0.8), s/a/e007 (10.60.0.9), s/a/e008 (10.60.0.10) and 1 more. Restore the CIDR, or delete the "s/a/lan" entry ` +
        `from ${lockAt()} to renumber this subnet at the next synth.`,
    );
    expect(fs.readFileSync(lockAt(), "utf8")).toBe(before);
  });

  test("two holders recorded with one address (a merge) names both and the fix", () => {
    synth(build(["web", "db"]));
    const lock = JSON.parse(fs.readFileSync(lockAt(), "utf8"));
    lock.subnets["s/a/lan"].addresses["s/a/api"] = lock.subnets["s/a/lan"].addresses["s/a/web"];
    fs.writeFileSync(lockAt(), JSON.stringify(lock));
    expect(synthError(build(["web", "api", "db"]))).toContain(
      `s/a/lan: ${lockAt()} records 10.60.0.2 for both s/a/api and s/a/web (two branches allocated it and were merged?). Delete one of the ` +
        `two lines from ${lockAt()}; that holder gets a new address at the next synth.`,
    );
  });

  test("a lock file with merge conflict markers is reported on the stack with the fix", () => {
    fs.writeFileSync(lockAt(), "<<<<<<< HEAD\n");
    const msg = synthError(build(["web"]));
    expect(msg).toContain(`s: ${lockAt()}: is not valid JSON`);
    expect(msg).toContain("Fix the file, or delete it to renumber every subnet at the next synth (addresses may change).");
  });

  test("stacks sharing one lock file keep each other's entries", () => {
    synth(build(["web"]));
    const app = Testing.app({ outdir: path.join(dir, "out2") });
    const other = new HostnetStack(app, "t", { lockFile: lockAt() });
    new Subnet(newHost(other), "lan", { cidr: "10.61.0.0/24" }).allocate("t-web");
    app.synth();
    expect(Object.keys(JSON.parse(fs.readFileSync(lockAt(), "utf8")).subnets)).toEqual(["s/a/lan", "t/a/lan"]);
  });
});

describe("IPv6 subnets in the lock file", () => {
  // Labels as holders: the IPAM is the point here, not the links (IPv6 interfaces are built elsewhere).
  function build6(holders: readonly string[], cidr6 = "fd00:60::/64"): { app: App; lan: Subnet; lan6: Subnet; ips: Map<string, string> } {
    const app = Testing.app({ outdir: path.join(dir, "out") });
    const stack = new HostnetStack(app, "s", { lockFile: path.join(dir, "hostnet.lock.json") });
    const host = newHost(stack);
    const lan = new Subnet(host, "lan", { cidr: "10.60.0.0/24" });
    const lan6 = new Subnet(host, "lan6", { cidr: cidr6 });
    const asked = holders.map((h) => [h, lan.allocate(h), lan6.allocate(h)] as const);
    const ips = new Map<string, string>();
    for (const [h, a4, a6] of asked) ips.set(h, `${a4.ip} ${a6.ip}`);
    return { app, lan, lan6, ips };
  }
  const lockText = () => fs.readFileSync(path.join(dir, "hostnet.lock.json"), "utf8");

  test("both families are recorded (canonical IPv6, version 1) and an inserted holder moves nobody", () => {
    const first = build6(["web", "db", "cache"]);
    first.app.synth();
    expect([...first.ips.values()]).toEqual(["10.60.0.2 fd00:60::2", "10.60.0.3 fd00:60::3", "10.60.0.4 fd00:60::4"]);
    const lock = JSON.parse(lockText());
    expect(lock.version).toBe(1);
    expect(lock.subnets["s/a/lan6"]).toEqual({ cidr: "fd00:60::/64", addresses: { cache: "fd00:60::4", db: "fd00:60::3", web: "fd00:60::2" } });
    const second = build6(["new", "cache", "web"]);
    second.app.synth();
    expect(Object.fromEntries(second.ips)).toEqual({ new: "10.60.0.5 fd00:60::5", cache: "10.60.0.4 fd00:60::4", web: "10.60.0.2 fd00:60::2" });
  });

  test("a lock file written before IPv6 (IPv4 only) still reads, and the IPv6 subnet is added beside it", () => {
    fs.writeFileSync(
      path.join(dir, "hostnet.lock.json"),
      JSON.stringify({ version: 1, subnets: { "s/a/lan": { cidr: "10.60.0.0/24", addresses: { web: "10.60.0.9" } } } }),
    );
    const b = build6(["web"]);
    b.app.synth();
    expect(b.ips.get("web")).toBe("10.60.0.9 fd00:60::2");
    expect(JSON.parse(lockText()).subnets["s/a/lan6"].addresses).toEqual({ web: "fd00:60::2" });
  });

  test("an IPv4 address recorded for an IPv6 subnet is reported with the fix", () => {
    fs.writeFileSync(
      path.join(dir, "hostnet.lock.json"),
      JSON.stringify({ version: 1, subnets: { "s/a/lan6": { cidr: "fd00:60::/64", addresses: { web: "10.60.0.9" } } } }),
    );
    const b = build6(["web"]);
    expect(() => b.app.synth()).toThrow(
      `hostnet.lock.json records "10.60.0.9" for web: it is an IPv4 address in the IPv6 subnet fd00:60::/64. Fix or delete that line`,
    );
  });
});
