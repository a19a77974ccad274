/** PLAN.md shows IPv6 (issue 15): the table lists addresses of both families, the diagram puts an endpoint in its IPv6 subnet too. */
import { Namespace, RoutedEndpoint, Subnet, Vxlan } from "../../constructs";
import { buildReview } from "../../constructs/review-model";
import { reviewFiles } from "../../src/review/files";
import { diagramId } from "../../src/review/topology";
import { newHost, newStack } from "../support/stacks";

function plan(build: (stack: ReturnType<typeof newStack>["stack"]) => void): string {
  const { stack } = newStack();
  build(stack);
  return reviewFiles(buildReview(stack)).get("PLAN.md")!;
}

describe("PLAN.md, dual stack", () => {
  test("a dual-stack routed endpoint: both addresses in the table and on the node, a member of both its subnets in the diagram", () => {
    const md = plan((stack) => {
      const a = newHost(stack);
      const pod = new Namespace(a, "pod");
      const b4 = new Subnet(a, "block", { cidr: "10.63.2.0/24", gateway: false });
      const b6 = new Subnet(a, "block6", { cidr: "fd00:63:2::/64", gateway: false });
      new RoutedEndpoint(a, "ep", { namespace: pod, address: [b4.allocate(pod), b6.allocate(pod)] });
    });
    expect(md).toContain("10.63.2.1/32, fd00:63:2::1/128");
    expect(md).toContain("proxy_ndp on rt-ep for fe80::1; route fd00:63:2::1/128 dev rt-ep");
    const sub6 = diagramId("s", "s/a/block6", "a");
    const sub4 = diagramId("s", "s/a/block", "a");
    const node = diagramId("s", "s/a/ep", "if");
    expect(md).toContain(`${sub6} -.- ${node}`);
    expect(md).toContain(`${sub4} -.- ${node}`);
  });

  test("a Vxlan with addresses of both families over an IPv6 underlay shows both and its IPv6 local address", () => {
    const md = plan((stack) => {
      const a = newHost(stack);
      new Vxlan(a, "vx", { vni: 67, local: "fd00:18::a", peers: ["fd00:18::b"], addresses: ["10.67.0.1/24", "fd00:67::1/64"] });
    });
    expect(md).toContain("10.67.0.1/24, fd00:67::1/64");
    expect(md).toContain("local fd00:18::a dev eth0, mtu 1430, peers fd00:18::b");
  });
});
