import { renderVeth } from "../../src/render/veth";
import { ObjectRef } from "../../src/render/types";

const ref: ObjectRef = { stack: "s", path: "s/a/web-veth", id: "0123456789ab", tag: "hostnet:s:s/a/web-veth" };

describe("renderVeth with hairpin mode", () => {
  test("a bridge port with hairpin gets bridge_slave hairpin on right after joining the bridge", () => {
    const { create } = renderVeth(
      { a: { name: "eth0", netns: "web", addresses: [] }, b: { name: "ve-web", master: "br0", hairpin: true, addresses: [] }, mtu: 1500 },
      ref,
    );
    expect(create.slice(-1)).toEqual([
      "ip -batch - <<'HN_IP'\nlink set dev ve-web alias hostnet:s:s/a/web-veth\nlink set dev ve-web mtu 1500\nlink set dev ve-web master br0\n" +
        "link set dev ve-web type bridge_slave hairpin on\nlink set dev ve-web up\nHN_IP",
    ]);
  });

  test("hairpin without a bridge renders nothing (validation reports it)", () => {
    const { create } = renderVeth(
      { a: { name: "eth0", netns: "web", hairpin: true, addresses: [] }, b: { name: "ve-web", addresses: [] }, mtu: 1500 },
      ref,
    );
    expect(create.join("\n")).not.toContain("hairpin");
  });

  test("without hairpin the lines are unchanged", () => {
    const { create } = renderVeth(
      { a: { name: "eth0", netns: "web", addresses: [] }, b: { name: "ve-web", master: "br0", addresses: [] }, mtu: 1500 },
      ref,
    );
    expect(create.join("\n")).not.toContain("hairpin");
  });
});
