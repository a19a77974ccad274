/**
 * The two baselines hostnet is measured against, as shell text run inside the
 * test host (hostExec: nsenter, no SSH). Both build the endpoints of
 * topology.ts: bridge hnb0 with 198.19.0.1/16, outbound masquerade, and per
 * endpoint a namespace epI with lo up, a veth into the bridge, an address and a
 * default route. Each script times itself (`date +%s%N`) and prints
 * "elapsed_ns <n>" last, so nsenter's start-up is not counted.
 */
import { BENCH_BRIDGE, BENCH_CIDR } from "./topology";

const GATEWAY = "198.19.0.1";
const PREFIX = 16;

/** A script that times `body` and prints its elapsed nanoseconds. */
function timed(body: string[]): string {
  return ["set -e", "t0=$(date +%s%N)", ...body, "t1=$(date +%s%N)", 'echo "elapsed_ns $((t1 - t0))"'].join("\n");
}

/** Sets $ip to endpoint $i's address: the one hostnet's IPAM gives it (the gateway is .0.1). */
const ADDRESS_OF_I = 'n=$((i + 1)); ip_addr="198.19.$((n / 256)).$((n % 256))"';

// The rules NatRule.masquerade installs, without hostnet's comment.
const MASQ_RULES = [
  ["-t", "nat", "POSTROUTING", "-s", BENCH_CIDR, "!", "-o", BENCH_BRIDGE, "-j", "MASQUERADE"],
  ["-t", "filter", "FORWARD", "-s", BENCH_CIDR, "-j", "ACCEPT"],
  ["-t", "filter", "FORWARD", "-d", BENCH_CIDR, "-m", "conntrack", "--ctstate", "RELATED,ESTABLISHED", "-j", "ACCEPT"],
];

function iptables(op: "-A" | "-D", r: string[]): string {
  const [t, table, chain, ...spec] = r;
  return ["iptables", "-w", t, table, op, chain, ...spec].join(" ");
}

/** Plain `ip` commands, one per step, as a person would write them. */
export function scriptUp(count: number): string {
  return timed([
    `ip link add name ${BENCH_BRIDGE} type bridge`,
    `ip addr add ${GATEWAY}/${PREFIX} dev ${BENCH_BRIDGE}`,
    `ip link set dev ${BENCH_BRIDGE} up`,
    "sysctl -n net.ipv4.ip_forward > /run/hostnet/.bench-forward",
    "sysctl -qw net.ipv4.ip_forward=1",
    ...MASQ_RULES.map((r) => iptables("-A", r)),
    `for i in $(seq 1 ${count}); do`,
    `  ${ADDRESS_OF_I}`,
    "  ip netns add ep$i",
    "  ip -n ep$i link set dev lo up",
    "  ip link add name ve-ep$i type veth peer name eth0 netns ep$i",
    `  ip link set dev ve-ep$i master ${BENCH_BRIDGE} up`,
    `  ip -n ep$i addr add $ip_addr/${PREFIX} dev eth0`,
    "  ip -n ep$i link set dev eth0 up",
    `  ip -n ep$i route add default via ${GATEWAY}`,
    "done",
  ]);
}

export function scriptDown(count: number): string {
  return timed([
    // Deleting a namespace deletes the veth end inside it, and with it the peer.
    `for i in $(seq 1 ${count}); do ip netns del ep$i; done`,
    ...MASQ_RULES.map((r) => iptables("-D", r)),
    `ip link del dev ${BENCH_BRIDGE}`,
    'sysctl -qw net.ipv4.ip_forward="$(cat /run/hostnet/.bench-forward)"',
    "rm -f /run/hostnet/.bench-forward",
  ]);
}

/** Where host-local keeps its leases: the test host's private /run/hostnet tmpfs, outside hostnet's ledger (/run/hostnet/<stack>). */
const CNI_DATA = "/run/hostnet/.bench-cni";
const CNI_CONF = `${CNI_DATA}.conf`;

/** The CNI network: the reference bridge plugin with host-local IPAM and ipMasq. */
export function cniConfig(): string {
  return JSON.stringify({
    cniVersion: "1.0.0",
    name: "hnbench",
    type: "bridge",
    bridge: BENCH_BRIDGE,
    isGateway: true,
    isDefaultGateway: true,
    ipMasq: true,
    ipam: { type: "host-local", subnet: BENCH_CIDR, gateway: GATEWAY, dataDir: CNI_DATA },
  });
}

/** CNI_ARGS of one call for endpoint $i (a container runtime's view: one ADD or DEL per container). */
function cniCall(command: "ADD" | "DEL"): string {
  return `CNI_COMMAND=${command} CNI_CONTAINERID=hnbench-ep$i CNI_NETNS=/run/netns/ep$i CNI_IFNAME=eth0 CNI_PATH=/usr/lib/cni /usr/lib/cni/bridge < ${CNI_CONF} > /dev/null`;
}

/**
 * One ADD per endpoint, as a container runtime calls the plugin: the runtime
 * makes the namespace (and brings lo up), the plugin does the rest.
 */
export function cniUp(count: number): string {
  return [
    `cat > ${CNI_CONF} <<'EOF'`,
    cniConfig(),
    "EOF",
    "sysctl -n net.ipv4.ip_forward > /run/hostnet/.bench-forward",
    timed([`for i in $(seq 1 ${count}); do`, "  ip netns add ep$i", "  ip -n ep$i link set dev lo up", `  ${cniCall("ADD")}`, "done"]),
  ].join("\n");
}

/** One DEL per endpoint, then the runtime deletes the namespace; the bridge goes last (the plugin never deletes it). */
export function cniDown(count: number): string {
  return [
    timed([`for i in $(seq 1 ${count}); do`, `  ${cniCall("DEL")}`, "  ip netns del ep$i", "done", `ip link del dev ${BENCH_BRIDGE}`]),
    // Not timed: leftovers of the benchmark itself.
    `rm -rf ${CNI_DATA} ${CNI_CONF}`,
    'sysctl -qw net.ipv4.ip_forward="$(cat /run/hostnet/.bench-forward)"',
    "rm -f /run/hostnet/.bench-forward",
  ].join("\n");
}

/** Waits (untimed) until the kernel has finished tearing down deleted namespaces' links. */
export const SETTLE = [
  "for k in $(seq 1 200); do",
  "  [ -z \"$(ip netns list)\" ] && ! ip -o link show | grep -q ' ve-ep' && exit 0",
  "  sleep 0.05",
  "done",
  "echo 'links or namespaces left after 10 s' >&2; ip netns list >&2; exit 1",
].join("\n");

/** Reads "elapsed_ns <n>" from a timed script's output, in seconds. */
export function elapsedSeconds(stdout: string): number {
  const m = /elapsed_ns (\d+)/.exec(stdout);
  if (!m) throw new Error(`no timing in output: ${stdout.slice(-400)}`);
  return Number(m[1]) / 1e9;
}
