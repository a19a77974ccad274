/**
 * Hostile values in every construct prop that ends up in a command: each is
 * rejected at synth with a message naming the construct path, or reaches the
 * shell as inert data. "Inert" is proven by running every rendered script
 * under /bin/sh with `ip`, `iptables` and `sysctl` replaced by stubs that log
 * their argv, inside a private mount namespace (tmpfs over /run/hostnet and
 * /run/netns), and checking that no canary command ran.
 */
import { execFileSync } from "child_process";
import { App } from "cdktf";
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "fs";
import { tmpdir } from "os";
import * as path from "path";
import { Bridge, Host, HostnetStack, Namespace, NatRule, Route, Subnet, Sysctl, VethPair } from "../../constructs";
import { renderHostCreate } from "../../src/render/host";
import { HOOK_COMMAND, sshEnvironment } from "../../src/transport/ssh";

const work = mkdtempSync(path.join(tmpdir(), "hn-hostile-"));
const CANARY = path.join(work, "canary");
const KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFLaLzjWwhzi4ie45/rm3ZfzUE67Q4iWjnkGxVtBj/Lw";

const HOSTILE = [
  `$(touch ${CANARY})`,
  `\`touch ${CANARY}\``,
  `x; touch ${CANARY}`,
  `x && touch ${CANARY}`,
  `x\ntouch ${CANARY}`,
  `'; touch ${CANARY}; '`,
  `"; touch ${CANARY}; "`,
  `x | touch ${CANARY}`,
  "*",
  "-rf",
  "--help",
  "a".repeat(5000),
  "w\u0435b", // Cyrillic e: looks like "web"
  "br\uff10", // fullwidth zero
  "${IFS}",
  "%{x}",
  "",
];

type Build = (host: Host, v: string) => void;
const PROPS: Record<string, Build> = {
  "Namespace.name": (h, v) => new Namespace(h, "ns", { name: v }),
  "Bridge.name": (h, v) => new Bridge(h, "br", { name: v }),
  "Bridge.address": (h, v) => new Bridge(h, "br", { address: v }),
  "VethPair.a.name": (h, v) => new VethPair(h, "v", { a: { name: v, namespace: new Namespace(h, "ns") }, b: {} }),
  "VethPair.b.address": (h, v) => new VethPair(h, "v", { a: { namespace: new Namespace(h, "ns") }, b: { address: v } }),
  "Subnet.cidr": (h, v) => new Subnet(h, "lan", { cidr: v }),
  "Subnet.gateway": (h, v) => new Subnet(h, "lan", { cidr: "10.0.0.0/24", gateway: v }),
  "Subnet.address": (h, v) => new Subnet(h, "lan", { cidr: "10.0.0.0/24" }).address(v),
  "Route.destination": (h, v) => new Route(h, "r", { destination: v, via: "10.0.0.1" }),
  "Route.via": (h, v) => new Route(h, "r", { via: v }),
  "Route.dev": (h, v) => new Route(h, "r", { dev: v }),
  "NatRule.masquerade.subnet": (h, v) => NatRule.masquerade(h, "m", { subnet: v }),
  "NatRule.snat.toSource": (h, v) => NatRule.snat(h, "s", { source: "10.0.0.0/24", toSource: v }),
  "NatRule.snat.outInterface": (h, v) => NatRule.snat(h, "s", { source: "10.0.0.0/24", toSource: "192.0.2.1", outInterface: v }),
  "NatRule.portForward.to": (h, v) => NatRule.portForward(h, "p", { hostPort: 8080, to: v }),
  "NatRule.portForward.hostAddress": (h, v) => NatRule.portForward(h, "p", { hostPort: 8080, to: "10.0.0.2", hostAddress: v }),
  "NatRule.portForward.protocol": (h, v) => NatRule.portForward(h, "p", { hostPort: 8080, to: "10.0.0.2", protocol: v as "tcp" }),
  "Sysctl.key": (h, v) => new Sysctl(h, "k", { key: v, value: "1" }),
  "Sysctl.value": (h, v) => new Sysctl(h, "k", { key: "net.ipv4.ip_forward", value: v }),
  "construct id": (h, v) => {
    const ns = new Namespace(h, v || "empty-id");
    new VethPair(h, `${v}-veth`, { a: { namespace: ns }, b: {} });
  },
};

/** The same NAT props rendered by the nftables backend: values reach `nft -f -` as data on its standard input. */
const NFT_PROPS: Record<string, Build> = Object.fromEntries(
  Object.entries(PROPS)
    .filter(([k]) => k.startsWith("NatRule."))
    .map(([k, b]) => [`${k} (nftables)`, b]),
);
// Construct ids reach the rules' comments (the object's tag): always accepted (sanitized), so every value runs through nft here.
NFT_PROPS["construct id (nftables)"] = (h, v) => {
  NatRule.portForward(h, v || "empty-id", { hostPort: 8080, to: "10.0.0.2", port: 80 });
  NatRule.masquerade(h, `${v}-m`, { subnet: "10.0.0.0/24" });
};
/** IPv6 and list-valued address props (dual stack). */
Object.assign(PROPS, {
  "Bridge.address (IPv6, in a list)": (h: Host, v: string) => new Bridge(h, "br", { address: ["10.0.0.1/24", v] }),
  "Subnet.cidr (IPv6 pool)": (h: Host, v: string) => new Subnet(h, "lan", { cidr: v.startsWith("-") || v === "" ? v : `fd00::${v}/64` }),
  "Route.via (IPv6)": (h: Host, v: string) => new Route(h, "r", { destination: "fd00:1::/64", via: `fd00::${v}` }),
  "NatRule.portForward.to (IPv6)": (h: Host, v: string) => NatRule.portForward(h, "p", { hostPort: 8080, to: `fd00::${v}` }),
} satisfies Record<string, Build>);

const HOST_PROPS: Record<string, (v: string) => ConstructorParameters<typeof Host>[2]> = {
  "Host.address": (v) => ({ address: v, hostKey: KEY }),
  "Host.user": (v) => ({ address: "198.18.0.10", hostKey: KEY, user: v }),
  "Host.identityFile": (v) => ({ address: "198.18.0.10", hostKey: KEY, identityFile: v }),
  "Host.knownHostsFile": (v) => ({ address: "198.18.0.10", knownHostsFile: v }),
  "Host.hostKey": (v) => ({ address: "198.18.0.10", hostKey: v }),
  "Host.jumpHost.address": (v) => ({ address: "198.18.0.10", knownHostsFile: "/k/known_hosts", jumpHost: { address: v } }),
};

interface Outcome {
  rejected?: string;
  stack?: HostnetStack;
  host?: Host;
}

function synth(build: (stack: HostnetStack) => Host | undefined): Outcome {
  const app = new App({ outdir: mkdtempSync(path.join(work, "out-")) });
  const stack = new HostnetStack(app, "s");
  let host: Host | undefined;
  try {
    host = build(stack);
    app.synth();
    return { stack, host };
  } catch (e) {
    return { rejected: (e as Error).message };
  }
}

/** Run scripts with stub commands in a private mount namespace; returns the stub log. */
function runInert(scripts: string[], env: Record<string, string> = {}): string {
  const bin = mkdtempSync(path.join(work, "bin-"));
  const log = path.join(bin, "argv.log");
  // Queries report absence so create paths run; every call is logged, one argument per line.
  const absent: Record<string, string> = {
    ip: `*" show "*|*" pids "*`,
    iptables: `*" -C "*`,
    sysctl: `*" -n "*) echo 0; exit 0;; *" nothing "*`,
    ssh: `*" -O check "*`,
    // nft: no table or chain exists; `nft -f -` reads its input, which is logged.
    nft: `*" list "*`,
  };
  for (const cmd of ["ip", "iptables", "sysctl", "ssh", "nft"]) {
    const stdin = cmd === "nft" ? `case " $* " in *" -f - "*) cat >> ${log};; esac\n` : "";
    writeFileSync(
      path.join(bin, cmd),
      `#!/bin/sh\nprintf '%s\\n' "--- ${cmd}" >> ${log}\nfor a in "$@"; do printf '[%s]\\n' "$a" >> ${log}; done\n${stdin}case " $* " in ${absent[cmd]}) exit 1;; esac\nexit 0\n`,
    );
    chmodSync(path.join(bin, cmd), 0o755);
  }
  const all = scripts.map((s, i) => {
    const f = path.join(bin, `s${i}.sh`);
    writeFileSync(f, s);
    return f;
  });
  const runner = `mount -t tmpfs hn /run/hostnet && mkdir -p /run/netns && mount -t tmpfs hn /run/netns && for f in ${all.join(" ")}; do PATH=${bin}:$PATH sh "$f" >/dev/null 2>&1 || true; done`;
  const envs = { ...process.env, HOSTNET_SSH_DIR: path.join(bin, "control"), ...env };
  execFileSync("mkdir", ["-p", "/run/hostnet"]);
  execFileSync("unshare", ["--mount", "--propagation", "private", "sh", "-c", runner], { env: envs });
  return existsSync(log) ? readFileSync(log, "utf8") : "";
}

afterAll(() => rmSync(work, { recursive: true, force: true }));

describe("hostile values in construct props", () => {
  const cases: Array<[string, string, (stack: HostnetStack) => Host | undefined]> = [];
  for (const [prop, build] of Object.entries(PROPS)) {
    for (const v of HOSTILE)
      cases.push([
        prop,
        v,
        (stack) => {
          const h = new Host(stack, "a", { address: "198.18.0.10", hostKey: KEY });
          build(h, v);
          return h;
        },
      ]);
  }
  for (const [prop, build] of Object.entries(NFT_PROPS)) {
    for (const v of HOSTILE)
      cases.push([
        prop,
        v,
        (stack) => {
          const h = new Host(stack, "a", { address: "198.18.0.10", hostKey: KEY, firewall: "nftables" });
          build(h, v);
          return h;
        },
      ]);
  }
  for (const [prop, props] of Object.entries(HOST_PROPS)) {
    for (const v of HOSTILE)
      cases.push([
        prop,
        v,
        (stack) => {
          const h = new Host(stack, "a", props(v));
          new Namespace(h, "ns");
          return h;
        },
      ]);
  }

  test.each(cases.map(([p, v, b]) => [p, JSON.stringify(v).slice(0, 40), v, b] as const))(
    "%s = %s is rejected at synth or inert",
    (prop, _shown, value, build) => {
      const r = synth(build);
      if (r.rejected !== undefined) {
        // Rejected: the message names the construct path; nothing was rendered or run.
        expect(r.rejected).toMatch(/s\/a/);
        return;
      }
      // Accepted (only values that are valid, or construct ids, which are sanitized): run everything.
      const host = r.host!;
      const scripts = [
        renderHostCreate({ stack: "s", host: "a", keep: host.netObjects.map((o) => o.ref.id), commands: ["ip"] }),
        ...host.netObjects.flatMap((o) => [o.createScript(), o.destroyScript()]),
      ];
      // The transport too, with the host's environment and stubbed ssh: host props reach ssh as single arguments.
      scripts.push(HOOK_COMMAND);
      const env = {
        ...sshEnvironment(host.target),
        HN_ADDRESS: host.target.address,
        HN_PORT: String(host.target.port),
        HN_SCRIPT: "true",
        HN_OP: "create",
        HN_PATH: "s/a",
      };
      const log = runInert(scripts, env);
      expect(existsSync(CANARY)).toBe(false);
      expect(log).toContain("--- ssh"); // the stubs ran, so the scripts did execute
      if (prop.endsWith("(nftables)")) {
        // nft's input is whole statements of hostnet's own: a value never starts a line (a command of its own).
        expect(log).toContain("--- nft");
        const nftLines = log.split("\n").filter((l) => l !== "" && !l.startsWith("[") && !l.startsWith("--- "));
        expect(nftLines.length).toBeGreaterThan(0);
        // `create chain`: a fresh create makes the object's chains with it; `insert rule`: a 1:1 NAT's jump goes first (src/render/nft.ts).
        for (const l of nftLines) expect(l).toMatch(/^(add|create|flush|delete|insert) (table|chain|rule) inet hostnet_s\b/);
      }
      if (!prop.startsWith("construct id") && value !== "" && !value.includes("\n")) {
        // A value that passed validation is one argument, byte for byte.
        expect(log.includes(`[${value}]`) || log.includes(value)).toBe(true);
      }
    },
  );

  test("the canary check can fail: an unquoted value would run the canary", () => {
    runInert([`echo $(touch ${CANARY}); ip link show`]);
    expect(existsSync(CANARY)).toBe(true);
    rmSync(CANARY);
  });
});
