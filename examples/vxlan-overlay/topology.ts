import { Construct } from "constructs";
import { Bridge, Host, Namespace, Subnet, VethPair, Vxlan, VXLAN_OVERHEAD } from "hostnet";

/**
 * One L2 segment, 10.66.0.0/24, across hosts over VXLAN (VNI 66): on each host a
 * bridge with the VXLAN device as a port and a namespace on a veth into it. The
 * VXLAN devices flood to each other by unicast (static fdb entries), so ARP works
 * without multicast. Every MTU on the path is the VXLAN MTU: 1500 − 50.
 */
export function vxlanOverlay(scope: Construct, hosts: readonly Host[]) {
  // One subnet for all hosts: one IPAM pool, so no address is handed out twice.
  const segment = new Subnet(scope, "segment", { cidr: "10.66.0.0/24", gateway: false });
  const mtu = 1500 - VXLAN_OVERHEAD;
  const members = hosts.map((host) => {
    const bridge = new Bridge(host, "br-vx", { mtu });
    const vxlan = new Vxlan(host, "vx66", { vni: 66, bridge, mtu });
    const pod = new Namespace(host, "pod");
    const address = segment.allocate(pod);
    const veth = new VethPair(host, "pod-veth", { a: { namespace: pod, address }, b: { bridge }, mtu });
    return { host, bridge, vxlan, pod, address, veth };
  });
  Vxlan.mesh(members.map((m) => m.vxlan));
  return { segment, mtu, members };
}
