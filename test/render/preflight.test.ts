import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { Testing } from "cdktf";
import { BandwidthLimit, Bridge, Endpoint, Host, HostnetStack, Ipvlan, Macvlan, Namespace, RoutedEndpoint, VethPair, Vxlan } from "../../constructs";
import { moduleCheck, MODULE_PROBES, renderPreflight } from "../../src/render/preflight";
import { syntaxErrors } from "../support/fake-host";

describe("renderPreflight", () => {
  test("exact lines for commands, one module, forwarding and one bridge", () => {
    expect(renderPreflight({ host: "a", commands: ["ip", "tc"], modules: ["sch_htb"], requireForwarding: true, bridges: ["br0"] })).toEqual([
      "# preflight of host a",
      "hn_pf_bad=0",
      `hn_pf_fail() { echo 'hostnet: host a:' "$@" >&2; hn_pf_bad=1; }`,
      `hn_pf_sysctl() { if command -v sysctl >/dev/null 2>&1; then sysctl -n "$1" 2>/dev/null; else cat "/proc/sys/$(echo "$1" | tr . /)" 2>/dev/null; fi; }`,
      "hn_pf_mod() {",
      '  [ -d "/sys/module/$1" ] && return 0',
      '  grep -qs "/$1\\.ko" "/lib/modules/$(uname -r)/modules.builtin" && return 0',
      '  modprobe -n -q "$1" 2>/dev/null && return 0',
      '  [ -n "$2" ] && command -v unshare >/dev/null 2>&1 && unshare -n sh -c "$2" >/dev/null 2>&1 && return 0',
      "  return 1",
      "}",
      "for c in ip tc; do",
      `  command -v "$c" >/dev/null 2>&1 || hn_pf_fail "command $c is missing;" 'install it (iproute2 gives ip, tc and bridge; iptables gives ` +
        `iptables and ip6tables; nftables gives nft; util-linux gives flock; procps gives sysctl; coreutils gives sha256sum) and deploy again.'`,
      "done",
      `hn_pf_mod sch_htb 'ip link set lo up && tc qdisc add dev lo root handle 1: htb' || hn_pf_fail 'kernel module sch_htb is not ` +
        `available (not loaded, not built in, not loadable with modprobe); install the kernel'\\''s extra modules (e.g. ` +
        `linux-modules-extra-$(uname -r)) or remove the objects that need it.'`,
      `[ "$(hn_pf_sysctl net.ipv4.ip_forward)" = 1 ] || hn_pf_fail 'net.ipv4.ip_forward is 0 but the stack routes traffic through this ` +
        `host; run sysctl -w net.ipv4.ip_forward=1 (and persist it in /etc/sysctl.d), or add host.enableForwarding() to the stack.'`,
      `if [ "$(hn_pf_sysctl net.bridge.bridge-nf-call-iptables)" = 1 ] && iptables -w -S FORWARD 2>/dev/null | grep -qx -- '-P FORWARD DROP'; then`,
      "  for b in br0; do",
      `    iptables -w -C FORWARD -i "$b" -o "$b" -j ACCEPT 2>/dev/null || hn_pf_fail "bridge $b:" 'net.bridge.bridge-nf-call-iptables=1 ` +
        `sends bridged traffic through iptables and the FORWARD policy is DROP, so traffic between the bridge'\\''s ports is dropped. Fix: ` +
        `iptables -I FORWARD -i' "$b -o $b -j ACCEPT," 'or sysctl -w net.bridge.bridge-nf-call-iptables=0.'`,
      "  done",
      "fi",
      `[ "$hn_pf_bad" = 0 ] || exit 1`,
    ]);
  });

  test("nothing to check: only the helpers and the final verdict", () => {
    const lines = renderPreflight({ host: "a", commands: [], modules: [], requireForwarding: false, bridges: [] });
    expect(lines.filter((l) => l.startsWith("for ") || l.startsWith("hn_pf_mod ") || l.startsWith("if "))).toEqual([]);
    expect(lines[lines.length - 1]).toBe(`[ "$hn_pf_bad" = 0 ] || exit 1`);
  });

  test("a host name with shell syntax stays data", () => {
    const lines = renderPreflight({ host: "a'; rm -rf /; '\n", commands: [], modules: [], requireForwarding: false, bridges: [] });
    expect(lines[0]).toBe("# preflight of host a'; rm -rf /; '?");
    expect(lines[2]).toBe(`hn_pf_fail() { echo 'hostnet: host a'\\''; rm -rf /; '\\''?:' "$@" >&2; hn_pf_bad=1; }`);
  });

  test("every construct declares its modules, and each has a try-create probe", () => {
    const stack = new HostnetStack(Testing.app(), "s");
    const h = new Host(stack, "a", { address: "198.18.0.10", insecureIgnoreHostKey: true });
    const br = new Bridge(h, "br", { mtu: 1450 });
    const objects = [
      br,
      new VethPair(h, "v", { a: { namespace: new Namespace(h, "n") }, b: { bridge: br } }),
      new Endpoint(h, "e", { bridge: br, gateway: false }),
      new RoutedEndpoint(h, "r", { namespace: new Namespace(h, "rn"), address: "10.63.0.5" }),
      new Vxlan(h, "x", { vni: 7, bridge: br }),
      new Macvlan(h, "m", { parent: "eth0" }),
      new Ipvlan(h, "i", { parent: "eth0" }),
      new BandwidthLimit(h, "bw", { interface: br, classes: [{ id: 10, rate: "1mbit" }] }),
    ];
    expect(Object.fromEntries(objects.map((o) => [o.kind, o.requiredModules()]))).toEqual({
      bridge: ["bridge"],
      veth: ["veth"],
      endpoint: ["veth"],
      routed: ["veth"],
      vxlan: ["vxlan"],
      macvlan: ["macvlan"],
      ipvlan: ["ipvlan"],
      bandwidth: ["sch_htb", "cls_u32"],
    });
    for (const m of objects.flatMap((o) => o.requiredModules())) expect(MODULE_PROBES[m]).toBeDefined();
    expect(h.createScript()).toContain("hn_pf_mod cls_u32 ");
  });

  test.each(["sh", "bash"] as const)("the script parses with %s -n", (shell) => {
    const lines = renderPreflight({
      host: "a",
      commands: ["ip", "iptables", "tc"],
      modules: Object.keys(MODULE_PROBES),
      requireForwarding: true,
      bridges: ["br0", "br-lan"],
    });
    expect(syntaxErrors(["set -eu", ...lines].join("\n"), shell)).toBe("");
  });
});

/**
 * Runs the preflight with fake sysctl, iptables, modprobe and unshare on PATH
 * (their answers come from environment variables) and real sh, grep and cat.
 */
describe("preflight on a fake host", () => {
  let dir: string;
  const FAKES: Record<string, string> = {
    sysctl: `#!/bin/sh\n[ "$1" = -n ] || exit 2\ncase $2 in net.ipv4.ip_forward) echo "$FWD" ;; net.bridge.bridge-nf-call-iptables) [ -n "$BRNF" ] || exit 1; echo "$BRNF" ;; *) exit 1 ;; esac\n`,
    iptables: `#!/bin/sh\ncase "$*" in "-w -S FORWARD") echo "-P FORWARD $POLICY" ;; "-w -C FORWARD -i br0 -o br0 -j ACCEPT") [ "$BR0_ACCEPT" = 1 ] ;; *) exit 1 ;; esac\n`,
    modprobe: `#!/bin/sh\n[ "$MODPROBE_OK" = "$3" ]\n`,
    unshare: `#!/bin/sh\n[ "$UNSHARE_OK" = 1 ]\n`,
    ip: "#!/bin/sh\nexit 0\n",
  };
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "hostnet-preflight-"));
    fs.mkdirSync(path.join(dir, "bin"));
    for (const [name, text] of Object.entries(FAKES)) fs.writeFileSync(path.join(dir, "bin", name), text, { mode: 0o755 });
    // Real tools the script needs, and nothing else from the system's sbin.
    for (const t of ["sh", "cat", "grep", "tr", "uname", "echo"]) {
      const real = ["/usr/bin", "/bin"].map((d) => path.join(d, t)).find((p) => fs.existsSync(p));
      if (real) fs.symlinkSync(real, path.join(dir, "bin", t));
    }
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  const run = (spec: Partial<Parameters<typeof renderPreflight>[0]>, env: Record<string, string>, extra: string[] = []) => {
    const lines = renderPreflight({ host: "a", commands: [], modules: [], requireForwarding: false, bridges: [], ...spec });
    const script = ["set -eu", ...lines.slice(0, -1), ...extra, ...lines.slice(-1)].join("\n");
    const r = spawnSync(path.join(dir, "bin", "sh"), ["-c", script], {
      encoding: "utf8",
      env: { PATH: path.join(dir, "bin"), FWD: "1", BRNF: "", POLICY: "ACCEPT", BR0_ACCEPT: "0", MODPROBE_OK: "", UNSHARE_OK: "0", ...env },
    });
    return {
      status: r.status,
      stderr: r.stderr
        .trim()
        .split("\n")
        .filter((l) => l),
    };
  };
  // A module name no kernel has: /sys/module and modules.builtin never know it.
  const MOD = "hnfake_mod";

  test("a host that has everything passes silently", () => {
    expect(run({ commands: ["ip", "iptables"], requireForwarding: true, bridges: ["br0"] }, {})).toEqual({ status: 0, stderr: [] });
  });

  test("a missing command is named with the host and what to install", () => {
    expect(run({ commands: ["ip", "tc"] }, {})).toEqual({
      status: 1,
      stderr: [
        "hostnet: host a: command tc is missing; install it (iproute2 gives ip, tc and bridge; iptables gives iptables and ip6tables; " +
          "nftables gives nft; util-linux gives flock; procps gives sysctl; coreutils gives sha256sum) and deploy again.",
      ],
    });
  });

  test("a module counts as available when modprobe -n finds it", () => {
    expect(run({ modules: [MOD] }, { MODPROBE_OK: MOD })).toEqual({ status: 0, stderr: [] });
  });

  test("a module counts as available when a throwaway object of its kind can be created in a scratch namespace", () => {
    expect(run({}, { UNSHARE_OK: "1" }, [moduleCheck(MOD, "ip link add hnprobe0 type hnfake")])).toEqual({ status: 0, stderr: [] });
    expect(run({}, { UNSHARE_OK: "0" }, [moduleCheck(MOD, "ip link add hnprobe0 type hnfake")]).status).toBe(1);
  });

  test("an unavailable module is named with the host and the fix", () => {
    expect(run({ modules: [MOD] }, {})).toEqual({
      status: 1,
      stderr: [
        `hostnet: host a: kernel ` +
          `module ${MOD} is not available (not loaded, not built in, not loadable with modprobe); install the kernel's extra modules (e.g. ` +
          `linux-modules-extra-$(uname -r)) or remove the objects that need it.`,
      ],
    });
  });

  test("forwarding off where the stack needs it", () => {
    expect(run({ requireForwarding: true }, { FWD: "0" }).stderr).toEqual([
      "hostnet: host a: net.ipv4.ip_forward is 0 but the stack routes traffic through this host; run sysctl -w net.ipv4.ip_forward=1 (and " +
        "persist it in /etc/sysctl.d), or add host.enableForwarding() to the stack.",
    ]);
  });

  test("bridge-nf-call-iptables=1 with FORWARD policy DROP names the bridge and both fixes", () => {
    expect(run({ bridges: ["br0"] }, { BRNF: "1", POLICY: "DROP" })).toEqual({
      status: 1,
      stderr: [
        "hostnet: host a: bridge br0: net.bridge.bridge-nf-call-iptables=1 sends bridged traffic through iptables and the FORWARD policy is " +
          "DROP, so traffic between the bridge's ports is dropped. Fix: iptables -I FORWARD -i br0 -o br0 -j ACCEPT, or sysctl -w " +
          "net.bridge.bridge-nf-call-iptables=0.",
      ],
    });
  });

  test.each([
    ["the bridge already has its ACCEPT rule", { BRNF: "1", POLICY: "DROP", BR0_ACCEPT: "1" }],
    ["the FORWARD policy is ACCEPT", { BRNF: "1", POLICY: "ACCEPT" }],
    ["bridged traffic skips iptables", { BRNF: "0", POLICY: "DROP" }],
    ["br_netfilter is not loaded", { BRNF: "", POLICY: "DROP" }],
  ])("no bridge complaint when %s", (_why, env) => {
    expect(run({ bridges: ["br0"] }, env)).toEqual({ status: 0, stderr: [] });
  });

  test("every problem is reported before the preflight fails", () => {
    const r = run({ commands: ["tc"], modules: [MOD], requireForwarding: true, bridges: ["br0"] }, { FWD: "0", BRNF: "1", POLICY: "DROP" });
    expect(r.status).toBe(1);
    expect(r.stderr.map((l) => l.slice(0, 40))).toEqual([
      "hostnet: host a: command tc is missing; ",
      "hostnet: host a: kernel module hnfake_mo",
      "hostnet: host a: net.ipv4.ip_forward is ",
      "hostnet: host a: bridge br0: net.bridge.",
    ]);
  });
});

describe("the firewall tools in the preflight", () => {
  /** Runs the preflight with only sh, cat and grep real, and fakes of `tools` (each exits 0) on PATH. */
  const run = (spec: Partial<Parameters<typeof renderPreflight>[0]>, tools: string[]) => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "hostnet-preflight-fw-"));
    try {
      fs.mkdirSync(path.join(dir, "bin"));
      for (const t of tools) fs.writeFileSync(path.join(dir, "bin", t), "#!/bin/sh\nexit 0\n", { mode: 0o755 });
      for (const t of ["sh", "cat", "grep"]) {
        const real = ["/usr/bin", "/bin"].map((d) => path.join(d, t)).find((p) => fs.existsSync(p));
        if (real) fs.symlinkSync(real, path.join(dir, "bin", t));
      }
      const lines = renderPreflight({ host: "a", commands: [], modules: [], requireForwarding: false, bridges: [], ...spec });
      const r = spawnSync(path.join(dir, "bin", "sh"), ["-c", ["set -eu", ...lines].join("\n")], {
        encoding: "utf8",
        env: { PATH: path.join(dir, "bin") },
      });
      return { status: r.status, stderr: r.stderr.trim() };
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  };
  const AUTO = { backend: { firewall: "auto" as const, stack: "s" } };

  test("auto with neither nft nor iptables stops before anything is made, naming both ways out", () => {
    expect(run(AUTO, [])).toEqual({
      status: 1,
      stderr:
        'hostnet: host a: firewall "auto" finds neither nft nor iptables, and the stack\'s NAT rules need one of them; ' +
        "install nftables (it gives nft) or iptables, or set firewall on the Host to the one you install, and deploy again.",
    });
  });

  test.each([["nft"], ["iptables"]])("auto with only %s passes", (tool) => {
    expect(run(AUTO, [tool])).toEqual({ status: 0, stderr: "" });
  });

  test("nftables without nft names nft's package", () => {
    const r = run({ commands: ["flock", "nft"], backend: { firewall: "nftables", stack: "s" } }, ["flock", "iptables"]);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("hostnet: host a: command nft is missing; install it (");
    expect(r.stderr).toContain("nftables gives nft");
  });
});
