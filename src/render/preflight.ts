import { Flow, renderFirewallScan } from "./firewall";
import type { FirewallChoice } from "./nft";
import { commentSafe, shq } from "./quote";

/** What a host must offer before any of its objects is created. */
export interface PreflightSpec {
  /** Host name (construct id), named in every message. */
  readonly host: string;
  /** Commands the objects' hooks run (ip, iptables, tc, sysctl, ...). */
  readonly commands: readonly string[];
  /** Kernel modules the object kinds need: bridge, veth, vxlan, macvlan, ipvlan, sch_htb, cls_u32, ... */
  readonly modules: readonly string[];
  /**
   * The stack routes traffic through the root namespace (between interfaces)
   * without turning net.ipv4.ip_forward on itself (no `host.enableForwarding()`).
   */
  readonly requireForwarding: boolean;
  /** Bridges in the root namespace, for the bridge-nf-call-iptables check. */
  readonly bridges: readonly string[];
  /**
   * What the stack forwards through the root namespace (empty when it turns no
   * forwarding on): checked against both iptables backends' FORWARD chains.
   */
  readonly flows?: readonly Flow[];
  /** The backend hostnet writes rules with on this host, for the firewall scan. @default iptables */
  readonly backend?: { readonly firewall: FirewallChoice; readonly stack: string };
}

/** Where each command a hook may run comes from, for the missing-command message. */
const PACKAGES =
  "iproute2 gives ip, tc and bridge; iptables gives iptables and ip6tables; nftables gives nft; util-linux gives flock; " +
  "procps gives sysctl; coreutils gives sha256sum";

/**
 * A throwaway object that needs the module, created inside `unshare -n` (a new,
 * empty network namespace that vanishes with the command), so trying leaves
 * nothing behind and loads the module on demand the way the real create would.
 */
export const MODULE_PROBES: Readonly<Record<string, string>> = {
  bridge: "ip link add hnprobe0 type bridge",
  veth: "ip link add hnprobe0 type veth peer name hnprobe1",
  vxlan: "ip link add hnprobe0 type vxlan id 42 dstport 4789",
  macvlan: "ip link add hnprobe1 type veth peer name hnprobe2 && ip link add hnprobe0 link hnprobe1 type macvlan mode bridge",
  ipvlan: "ip link add hnprobe1 type veth peer name hnprobe2 && ip link add hnprobe0 link hnprobe1 type ipvlan mode l2",
  sch_htb: "ip link set lo up && tc qdisc add dev lo root handle 1: htb",
  cls_u32:
    "ip link set lo up && tc qdisc add dev lo root handle 1: htb && tc filter add dev lo parent 1: protocol ip prio 1 u32 match ip dst 127.0.0.1/32 flowid 1:1",
};

/**
 * Shell lines that check a host before anything is created on it and report
 * every problem at once (each naming the host and the fix), then fail:
 * - each command exists (and under firewall "auto", nft or iptables);
 * - each kernel module is loaded, built in, loadable (`modprobe -n`), or a
 *   throwaway object of its kind can be created in a scratch namespace;
 * - net.ipv4.ip_forward is 1 where the stack needs forwarding but does not set it;
 * - bridges still pass traffic when br_netfilter hands bridged frames to
 *   iptables (net.bridge.bridge-nf-call-iptables=1) and FORWARD drops by default
 *   (a common pitfall): a bridge needs `-i br -o br -j ACCEPT` then;
 * - where the stack forwards, no FORWARD policy or rule drops its flows, in the
 *   backend plain `iptables` writes to (beyond hostnet's own ACCEPT rules) or in
 *   the other one (src/render/firewall.ts); rules or policies in the other
 *   backend that drop nothing of the stack's are a warning.
 * Read-only: nothing on the host changes.
 */
export function renderPreflight(p: PreflightSpec): string[] {
  const host = commentSafe(p.host);
  const fail = (msg: string) => `hn_pf_fail ${shq(msg)}`;
  const lines = [
    `# preflight of host ${host}`,
    "hn_pf_bad=0",
    `hn_pf_fail() { echo ${shq(`hostnet: host ${host}:`)} "$@" >&2; hn_pf_bad=1; }`,
    'hn_pf_sysctl() { if command -v sysctl >/dev/null 2>&1; then sysctl -n "$1" 2>/dev/null; else cat "/proc/sys/$(echo "$1" | tr . /)" 2>/dev/null; fi; }',
    "hn_pf_mod() {",
    '  [ -d "/sys/module/$1" ] && return 0',
    '  grep -qs "/$1\\.ko" "/lib/modules/$(uname -r)/modules.builtin" && return 0',
    '  modprobe -n -q "$1" 2>/dev/null && return 0',
    '  [ -n "$2" ] && command -v unshare >/dev/null 2>&1 && unshare -n sh -c "$2" >/dev/null 2>&1 && return 0',
    "  return 1",
    "}",
  ];
  if (p.commands.length) {
    lines.push(
      `for c in ${p.commands.map(shq).join(" ")}; do`,
      `  command -v "$c" >/dev/null 2>&1 || hn_pf_fail "command $c is ` + `missing;" ${shq(`install it (${PACKAGES}) and deploy again.`)}`,
      "done",
    );
  }
  // auto needs neither tool by name (requiredCommands), but one of them: the backend it decides on must be there.
  if (p.backend?.firewall === "auto")
    lines.push(
      "if ! command -v nft >/dev/null 2>&1 && ! command -v iptables >/dev/null 2>&1; then " +
        fail(
          'firewall "auto" finds neither nft nor iptables, and the stack\'s NAT rules need one of them; ' +
            "install nftables (it gives nft) or iptables, or set firewall on the Host to the one you install, and deploy again.",
        ) +
        "; fi",
    );
  for (const m of p.modules) lines.push(moduleCheck(m, MODULE_PROBES[m] ?? ""));
  if (p.requireForwarding) {
    lines.push(
      `[ "$(hn_pf_sysctl net.ipv4.ip_forward)" = 1 ] ` +
        "|| " +
        fail(
          "net.ipv4.ip_forward is 0 but the stack routes traffic through this host; " +
            "run sysctl -w net.ipv4.ip_forward=1 (and persist it in /etc/sysctl.d), or add host.enableForwarding() to the stack.",
        ),
    );
  }
  if (p.bridges.length) {
    lines.push(
      `if [ "$(hn_pf_sysctl net.bridge.bridge-nf-call-iptables)" = 1 ] && iptables -w -S FORWARD 2>/dev/null | grep -qx -- '-P FORWARD DROP'; then`,
      `  for b in ${p.bridges.map(shq).join(" ")}; do`,
      `    iptables -w -C FORWARD -i "$b" -o "$b" -j ACCEPT 2>/dev/null || hn_pf_fail "bridge ` +
        '$b:" ' +
        shq(
          "net.bridge.bridge-nf-call-iptables=1 sends bridged traffic through iptables and the FORWARD policy is DROP, " +
            "so traffic between the bridge's ports is dropped. Fix: iptables -I FORWARD -i",
        ) +
        " " +
        `"$b -o $b -j ACCEPT," ${shq("or sysctl -w net.bridge.bridge-nf-call-iptables=0.")}`,
      "  done",
      "fi",
    );
  }
  if (p.flows?.length) {
    const prefix = shq(`hostnet: host ${host}:`);
    lines.push(
      ...renderFirewallScan(p.flows, p.backend),
      "hn_fw_out=$(hn_fw_scan)",
      `printf '%s\\n' "$hn_fw_out" | while IFS= read -r l; do case "$l" in "P "*) echo ${prefix} "\${l#P }" >&2 ;; "W "*) echo ${prefix} "warning: \${l#W }" >&2 ;; esac; done`,
      `if printf '%s\\n' "$hn_fw_out" | grep -q '^P '; then hn_pf_bad=1; fi`,
    );
  }
  lines.push(`[ "$hn_pf_bad" = 0 ] || exit 1`);
  return lines;
}

/** The line of renderPreflight that checks one module, `probe` being its try-create ("" for none). */
export function moduleCheck(module: string, probe: string): string {
  const msg =
    `kernel module ${module} is not available (not loaded, not built in, not loadable with modprobe); install the kernel's extra ` +
    `modules (e.g. linux-modules-extra-$(uname -r)) or remove the objects that need it.`;
  return `hn_pf_mod ${shq(module)} ${shq(probe)} || hn_pf_fail ${shq(msg)}`;
}
