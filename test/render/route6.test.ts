/**
 * IPv6 routes (HostGw's IPv6 routes ride on Route): `ip route show exact fd00::/64`
 * without -6 prints nothing even when the route is there, so the ownership check,
 * the destroy and the drift probe all need `ip -6`.
 */
import { checkRoute } from "../../src/render/check";
import { renderRoute } from "../../src/render/route";
import { syntaxErrors } from "../support/fake-host";

describe("renderRoute, IPv6", () => {
  test("a network route via an IPv6 next hop is listed, replaced and deleted with ip -6", () => {
    expect(renderRoute({ destination: "fd00:62::/64", via: "fd00:18::b", family: 6 })).toEqual({
      create: [
        `cur=$(ip -6 route show exact fd00:62::/64); case "$cur" in ""|*' proto 199'*) ;; *) hn_fail 'a route to fd00:62::/64 already exists in the root ` +
          `namespace and hostnet did not add it; remove it or drop this Route' ;; esac`,
        "ip -6 route replace fd00:62::/64 via fd00:18::b proto 199",
      ],
      destroy: ["cur=$(ip -6 route show exact fd00:62::/64 proto 199) || cur=", '[ -z "$cur" ] || ip -6 route del fd00:62::/64 proto 199'],
    });
  });

  test("an IPv6 default route is ::/0", () => {
    const h = renderRoute({ netns: "pod", destination: "default", via: "fd00:61::1", family: 6 });
    expect(h.create[0]).toMatch(/^cur=\$\(ip -n pod -6 route show exact ::\/0\); /);
    expect(h.create[1]).toBe("ip -n pod -6 route replace default via fd00:61::1 proto 199");
  });

  test("IPv4 routes are unchanged (no -6)", () => {
    expect(renderRoute({ destination: "10.62.0.0/24", via: "198.18.0.11" }).create.join("\n")).not.toContain("-6");
  });

  test("the drift probe looks with ip -6", () => {
    const lines = checkRoute({ destination: "fd00:62::/64", via: "fd00:18::b", family: 6 });
    expect(lines[0]).toBe(": hn_need ''");
    // The check batch's cache, else ip -6 on its own.
    expect(lines[1]).toContain("rt=${hn_R6_r__fd00_3a62_3a_3a_2f64-$(ip -6 route show exact fd00:62::/64 proto 199 2>/dev/null)}");
    expect(lines.join("\n")).toContain(`*"via fd00:18::b "*`);
    expect(syntaxErrors(lines.join("\n"))).toBe("");
  });
});
