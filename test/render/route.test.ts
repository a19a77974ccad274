import { renderRoute } from "../../src/render/route";
import { createScript, destroyScript } from "../../src/render/script";
import { ObjectRef, RouteSpec } from "../../src/render/types";
import { FakeHost, syntaxErrors } from "../support/fake-host";

const ref: ObjectRef = { stack: "s", path: "s/a/web/default", id: "0123456789ab", tag: "hostnet:s:s/a/web/default" };
const header = { kind: "route", name: "default via 10.0.0.1" };

describe("renderRoute", () => {
  test("default route in the root namespace", () => {
    expect(renderRoute({ destination: "default", via: "10.0.0.1" })).toEqual({
      create: [
        `cur=$(ip route show exact 0.0.0.0/0); case "$cur" in ""|*' proto 199'*) ;; *) hn_fail 'a route to default already exists in the root ` +
          `namespace and hostnet did not add it; remove it or drop this Route' ;; esac`,
        "ip route replace default via 10.0.0.1 proto 199",
      ],
      destroy: ["cur=$(ip route show exact 0.0.0.0/0 proto 199) || cur=", '[ -z "$cur" ] || ip route del default proto 199'],
    });
  });

  test("network route in a namespace with dev and metric; destroy skips a namespace that is gone", () => {
    expect(renderRoute({ netns: "web", destination: "10.1.0.0/16", via: "10.0.0.1", dev: "eth0", metric: 100 })).toEqual({
      create: [
        `cur=$(ip -n web route show exact 10.1.0.0/16); case "$cur" in ""|*' proto 199'*) ;; *) hn_fail 'a route to 10.1.0.0/16 already exists in ` +
          `namespace web and hostnet did not add it; remove it or drop this Route' ;; esac`,
        "ip -n web route replace 10.1.0.0/16 via 10.0.0.1 dev eth0 metric 100 proto 199",
      ],
      destroy: [
        "if ! [ ! -e /run/netns/web ]; then",
        "  cur=$(ip -n web route show exact 10.1.0.0/16 proto 199) || cur=",
        '  [ -z "$cur" ] || ip -n web route del 10.1.0.0/16 metric 100 proto 199',
        "fi",
      ],
    });
  });

  test.each<[RouteSpec, string]>([
    [{ destination: "10.2.0.0/24", dev: "br0" }, "ip route replace 10.2.0.0/24 dev br0 proto 199"],
    [{ destination: "default", via: "10.0.0.1", metric: 0 }, "ip route replace default via 10.0.0.1 metric 0 proto 199"],
    [{ netns: "db", destination: "192.0.2.0/24", via: "10.0.0.1" }, "ip -n db route replace 192.0.2.0/24 via 10.0.0.1 proto 199"],
  ])("%j replaces with %s", (spec, line) => {
    expect(renderRoute(spec).create[1]).toBe(line);
  });

  test("metric 0 is kept in the delete so the right route goes", () => {
    expect(renderRoute({ destination: "default", via: "10.0.0.1", metric: 0 }).destroy[1]).toBe(
      '[ -z "$cur" ] || ip route del default metric 0 proto 199',
    );
  });

  test.each<RouteSpec>([
    { destination: "default", via: "10.0.0.1" },
    { netns: "web", destination: "10.1.0.0/16", dev: "eth0", metric: 5 },
  ])("scripts parse with sh -n and bash -n (%j)", (spec) => {
    const hooks = renderRoute(spec);
    for (const s of [createScript(hooks, ref, header), destroyScript(hooks, ref, header)]) {
      expect(syntaxErrors(s, "sh")).toBe("");
      expect(syntaxErrors(s, "bash")).toBe("");
    }
  });
});

describe("route hooks on a fake host", () => {
  let host: FakeHost;
  beforeEach(() => (host = new FakeHost()));
  afterEach(() => host.dispose());
  const hooks = renderRoute({ netns: "web", destination: "default", via: "10.0.0.1" });

  test("destroy succeeds without calling ip when the namespace is gone", () => {
    expect(host.run(destroyScript(hooks, ref, header))).toMatchObject({ status: 0, stderr: "" });
    expect(host.log()).toEqual([]);
  });

  test("create adds the route when none exists", () => {
    host.addNetns("web");
    expect(host.run(createScript(hooks, ref, header))).toMatchObject({ status: 0, stderr: "" });
    expect(host.log()).toEqual(["ip -n web route show exact 0.0.0.0/0", "ip -n web route replace default via 10.0.0.1 proto 199"]);
  });
});
