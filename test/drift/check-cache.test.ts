/**
 * The probe's cache (src/render/check.ts renderCheckCache): a check batch reads
 * each namespace once and the probes read shell variables. On real namespaces
 * and the real `ip`, `awk` and `sh`, the batch must print exactly what the same
 * probes print without the cache (each `ip` on its own), for objects as
 * planned and for every way they drift, and start one `ip` per namespace.
 * The batch runs inside a namespace of its own, which stands for the host's
 * root namespace.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { renderCheckBatch } from "../../src/drift/check";
import { ObjectManifest } from "../../src/plan/manifest";
import { cacheWord, checkBridge, checkRoute, checkRoutedEndpoint, checkVeth, NEED } from "../../src/render/check";
import { RouteSpec } from "../../src/render/types";

const P = `hc${process.pid % 100000}`;
const ROOT = `${P}r`;
const TAG = "hostnet:s:s/a/x";
const OTHER = "hostnet:s:s/a/other";

function sh(script: string): void {
  const r = spawnSync("sh", ["-ec", script], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`${script}\n${r.stderr}`);
}

/**
 * Runs a batch in ROOT with the arguments of each `ip` it starts (a wrapper on
 * PATH logs them, but for the `ip netns exec` that starts the batch); the cache's loader
 * is left out when `cached` is false.
 */
function runBatch(batch: string, cached: boolean, noUnshare = false): { out: string; ips: string[] } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "hostnet-cc-"));
  try {
    const real = ["/usr/sbin/ip", "/sbin/ip", "/usr/bin/ip", "/bin/ip"].find((f) => fs.existsSync(f))!;
    fs.writeFileSync(path.join(dir, "ip"), `#!/bin/sh\n[ "$1" = netns ] || printf "%s\\n" "$*" >> ${dir}/log\nexec ${real} "$@"\n`, { mode: 0o755 });
    // Where unshare fails (no right to mount, say), the reads run with ip -n.
    if (noUnshare) fs.writeFileSync(path.join(dir, "unshare"), "#!/bin/sh\nexit 1\n", { mode: 0o755 });
    const script = cached ? batch : batch.replace(/\nif command -v awk [^\n]*\n[\s\S]*?\nfi\n/, "\n");
    if (!cached) expect(script).not.toEqual(batch);
    const r = spawnSync("ip", ["netns", "exec", ROOT, "sh", "-c", script], {
      encoding: "utf8",
      env: { PATH: `${dir}:/usr/sbin:/usr/bin:/sbin:/bin` },
    });
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    const log = path.join(dir, "log");
    return { out: r.stdout, ips: fs.existsSync(log) ? fs.readFileSync(log, "utf8").split("\n").slice(0, -1) : [] };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

const obj = (id: string, checks: string[]): ObjectManifest => ({
  path: `s/a/${id}`,
  id,
  tag: TAG,
  kind: "k",
  name: id,
  resource: `terraform_data.${id}`,
  checks,
});

beforeAll(() => {
  const n1 = `${P}a`;
  const n2 = `${P}b`;
  sh(`
    ip netns add ${ROOT}; ip netns add ${n1}; ip netns add ${n2}
    R="ip -n ${ROOT}"
    $R link add br0 type bridge; $R link set br0 up; $R link set br0 alias '${TAG}'; $R addr add 10.50.0.1/24 dev br0
    # as planned: a1 (in n1) to h1 (root, on br0)
    $R link add h1 type veth peer name a1 netns ${n1}
    $R link set h1 master br0 alias '${TAG}' up; ip -n ${n1} link set a1 alias '${TAG}' up
    ip -n ${n1} addr add 10.50.0.2/24 dev a1; ip -n ${n1} addr add 2001:db8:50::2/64 dev a1 nodad
    ip -n ${n1} route add default via 10.50.0.1 dev a1 proto 199
    ip -n ${n1} -6 route add default via 2001:db8:50::1 dev a1 proto 199
    ip -n ${n1} route add 10.60.0.0/16 via 10.50.0.9 dev a1 proto 199
    ip -n ${n1} route add 10.61.0.7/32 dev a1 proto 199 table 100
    ip -n ${n1} -6 route add 2001:db8:60::/64 via 2001:db8:50::9 dev a1 proto 199
    # drifted: h2 down, not on br0, another tag; a2 wrong MTU, no address; a default route of another proto
    $R link add h2 type veth peer name a2 netns ${n2}
    $R link set h2 alias '${OTHER}'; ip -n ${n2} link set a2 alias "it's ${TAG}" mtu 1400 up
    ip -n ${n2} addr add 10.51.0.3/24 dev a2; ip -n ${n2} route add default dev a2 proto 4
    # a foreign link whose name and alias hold a quote, and one whose printed name starts like h1's
    $R link add "q'x" type veth peer name "h1@z"; $R link set "q'x" alias "a 'quoted' alias"
    # a routed endpoint's host side: /32 back, proxy_arp on
    $R link add rh type veth peer name re netns ${n1}
    $R link set rh alias '${TAG}' up; ip -n ${n1} link set re alias '${TAG}' up; ip -n ${n1} addr add 10.70.0.5/32 dev re
    ip -n ${n1} route add default via 169.254.1.1 dev re onlink metric 10
    $R route add 10.70.0.5/32 dev rh proto 199; ip netns exec ${ROOT} sysctl -q -w net.ipv4.conf.rh.proxy_arp=1
  `);
});

afterAll(() => {
  for (const n of ["r", "a", "b"]) spawnSync("ip", ["netns", "del", `${P}${n}`]);
});

const route = (r: Partial<RouteSpec> & { destination: string }): string[] => checkRoute({ family: 4, ...r } as RouteSpec);

function objects(): ObjectManifest[] {
  const n1 = `${P}a`;
  const n2 = `${P}b`;
  const missing = `${P}gone`;
  return [
    obj("br", checkBridge({ name: "br0", mtu: 1500, addresses: ["10.50.0.1/24"] } as never, TAG)),
    obj(
      "v1",
      checkVeth(
        {
          a: { name: "a1", netns: n1, addresses: ["10.50.0.2/24", "2001:db8:50::2/64"] },
          b: { name: "h1", master: "br0", addresses: [] },
          mtu: 1500,
        },
        TAG,
      ),
    ),
    obj(
      "v2",
      checkVeth({ a: { name: "a2", netns: n2, addresses: ["10.50.0.3/24"] }, b: { name: "h2", master: "br0", addresses: [] }, mtu: 1500 }, TAG),
    ),
    obj("v3", checkVeth({ a: { name: "a3", netns: missing, addresses: [] }, b: { name: "h3", addresses: [] }, mtu: 1500 }, TAG)),
    obj("r1", route({ destination: "default", via: "10.50.0.1", dev: "a1", netns: n1 })),
    obj("r2", route({ destination: "default", via: "10.50.0.8", dev: "a1", netns: n1 })),
    obj("r3", route({ destination: "default", via: "2001:db8:50::1", dev: "a1", netns: n1, family: 6 })),
    obj("r4", route({ destination: "10.60.0.0/16", via: "10.50.0.9", netns: n1 })),
    obj("r5", route({ destination: "10.61.0.7/32", dev: "a1", netns: n1 })),
    obj("r6", route({ destination: "2001:db8:60::/64", via: "2001:db8:50::9", dev: "a1", netns: n1, family: 6 })),
    obj("r7", route({ destination: "2001:db8:61::/64", dev: "a1", netns: n1, family: 6 })),
    obj("r8", route({ destination: "default", dev: "a2", netns: n2 })),
    obj("r9", route({ destination: "default", dev: "a1", netns: missing })),
    obj("re", checkRoutedEndpoint({ hostName: "rh", netns: n1, name: "re", address: "10.70.0.5", gateway: "169.254.1.1", mtu: 1500 }, TAG)),
  ];
}

describe("the check batch's cache", () => {
  test("prints what the probes print without it, for objects as planned and drifted, with one ip per namespace", () => {
    const batch = renderCheckBatch(objects());
    const cached = runBatch(batch, true);
    const plain = runBatch(batch, true, true);
    const direct = runBatch(batch, false);
    expect(cached.out).toEqual(direct.out);
    expect(plain.out).toEqual(direct.out);
    const problems = (id: string) => {
      const lines = cached.out.split("\n");
      const at = lines.indexOf(`@@hostnet-check ${id}`);
      return lines
        .slice(
          at + 1,
          lines.findIndex((l, i) => i > at && l.startsWith("@@hostnet-check ")),
        )
        .filter((l) => l);
    };
    // As planned: nothing to say.
    for (const id of ["br", "v1", "r1", "r3", "r4", "r6"]) expect([id, problems(id)]).toEqual([id, []]);
    expect(problems("v2")).toEqual([
      "veth end a2 does not carry this object's tag",
      "veth end a2: MTU is not 1500",
      "veth end a2 lacks address 10.50.0.3/24",
      "veth end h2 does not carry this object's tag",
      "veth end h2 is down",
      "veth end h2 is not a port of br0",
    ]);
    expect(problems("v3")).toEqual([`veth end a3 is missing in namespace ${P}gone`, "veth end h3 is missing in the root namespace"]);
    expect(problems("r2")).toEqual(["route to default does not go via 10.50.0.8"]);
    // In table 100, not main; of another family; of another proto; in a missing namespace.
    expect(problems("r5")).toEqual([`route to 10.61.0.7/32 is missing in namespace ${P}a`]);
    expect(problems("r7")).toEqual([`route to 2001:db8:61::/64 is missing in namespace ${P}a`]);
    expect(problems("r8")).toEqual([`route to default is missing in namespace ${P}b`]);
    expect(problems("r9")).toEqual([`route to default is missing in namespace ${P}gone`]);
    expect(problems("re")).toEqual([]);
    // One ip per namespace (entered with nsenter, in a mount namespace where ip does not look through /run/netns;
    // the missing one is not entered), then a lookup of what the cache does not hold: h1, because a foreign link's
    // printed name ("h1@z@q'x") reads as h1 too; h3, missing; three routes not in main, not there and of another
    // proto; and the routed endpoint's own checks, which the cache does not serve.
    const lookups = [
      "-o link show dev h1",
      "-o link show dev h3",
      `-n ${P}a route show exact 10.61.0.7/32 proto 199`,
      `-n ${P}a -6 route show exact 2001:db8:61::/64 proto 199`,
      `-n ${P}b route show exact 0.0.0.0/0 proto 199`,
      `-n ${P}a route show default`,
      "route show exact 10.70.0.5/32 proto 199",
    ];
    expect(cached.ips).toEqual([...Array(3).fill("-o -force -batch -"), ...lookups]);
    // The empty /run/netns was the private mount namespace's alone.
    expect(fs.readFileSync("/proc/self/mountinfo", "utf8")).not.toContain("hostnet-probe");
    // Without unshare: ip -n, the missing namespace's too.
    expect(plain.ips).toEqual([
      "-o -force -batch -",
      `-n ${P}a -o -force -batch -`,
      `-n ${P}b -o -force -batch -`,
      `-n ${P}gone -o -force -batch -`,
      ...lookups,
    ]);
    expect(direct.ips).toHaveLength(24);
  });

  test("object probes run as { } groups, not subshells: an unset variable ends the batch before its end marker, so it never reads as clean", () => {
    const batch = renderCheckBatch([
      obj("ok", ['echo "$PATH" >/dev/null']),
      obj("bad", ['echo "$hn_no_such_variable"']),
      obj("after", ["echo never"]),
    ]);
    expect(batch.split("\n")).toContain("{");
    const r = spawnSync("ip", ["netns", "exec", ROOT, "sh", "-c", batch], { encoding: "utf8" });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain("hn_no_such_variable");
    expect(r.stdout).toContain("@@hostnet-check bad");
    expect(r.stdout).not.toContain("@@hostnet-check after");
    expect(r.stdout).not.toContain("@@hostnet-check end");
  });

  test("a probe on its own (no batch) still runs each ip, and the NEED line is a no-op", () => {
    const lines = checkVeth(
      { a: { name: "a1", netns: `${P}a`, addresses: ["10.50.0.2/24"] }, b: { name: "h1", master: "br0", addresses: [] }, mtu: 1500 },
      TAG,
    );
    expect(lines.filter((l) => l.startsWith(NEED))).toEqual([`${NEED}${P}a`, `${NEED}''`]);
    const r = spawnSync("ip", ["netns", "exec", ROOT, "sh", "-euc", lines.join("\n")], { encoding: "utf8" });
    expect([r.status, r.stdout, r.stderr]).toEqual([0, "", ""]);
  });

  test("cacheWord keeps letters and digits and spells every other byte _xx, so names never meet", () => {
    expect(cacheWord("eth0")).toBe("eth0");
    expect(cacheWord("ve-web.1_x")).toBe("ve_2dweb_2e1_5fx");
    expect(cacheWord("q'x")).toBe("q_27x");
    expect(cacheWord("a_2d")).not.toBe(cacheWord("a-"));
  });
});
