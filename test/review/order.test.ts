import { DependencyCycleError, layers, OrderItem, orderObjects } from "../../src/review/order";
import { buildReview } from "../../constructs/review-model";
import { labStack } from "./lab-stack";

const item = (path: string, ...dependsOn: string[]): OrderItem => ({ path, dependsOn });
const paths = (items: readonly OrderItem[]) => orderObjects(items).map((i) => i.path);

describe("orderObjects", () => {
  test.each<[string, OrderItem[], string[]]>([
    ["no dependencies: by path", [item("s/c"), item("s/a"), item("s/b")], ["s/a", "s/b", "s/c"]],
    ["a dependency comes first even when its path sorts later", [item("s/a", "s/z"), item("s/z")], ["s/z", "s/a"]],
    [
      "layer by layer, by path within a layer",
      [item("s/r", "s/v"), item("s/v", "s/n", "s/b"), item("s/n"), item("s/b"), item("s/x", "s/n")],
      ["s/b", "s/n", "s/v", "s/x", "s/r"],
    ],
    ["'-' sorts before '/' (code units, not locale)", [item("s/web/default"), item("s/web-veth")], ["s/web-veth", "s/web/default"]],
    ["dependencies outside the list and on itself are ignored", [item("s/a", "other/x", "s/a"), item("s/b")], ["s/a", "s/b"]],
    ["a chain", [item("s/1", "s/2"), item("s/2", "s/3"), item("s/3")], ["s/3", "s/2", "s/1"]],
  ])("%s", (_name, items, expected) => {
    expect(paths(items)).toEqual(expected);
  });

  test("the order does not depend on the input order", () => {
    const items = [item("s/r", "s/v"), item("s/v", "s/n", "s/b"), item("s/n"), item("s/b"), item("s/x", "s/n"), item("s/y")];
    const expected = paths(items);
    expect(paths([...items].reverse())).toEqual(expected);
    for (let shift = 1; shift < items.length; shift++) expect(paths([...items.slice(shift), ...items.slice(0, shift)])).toEqual(expected);
  });

  test("a new object that an existing one depends on leaves the others in place", () => {
    // The route gains a dependency on a new veth whose path sorts last: the route stays put.
    const before = paths([item("s/ns"), item("s/br"), item("s/veth", "s/ns", "s/br"), item("s/ns/route", "s/ns", "s/veth"), item("s/zz/other")]);
    const after = paths([
      item("s/ns"),
      item("s/br"),
      item("s/veth", "s/ns", "s/br"),
      item("s/ns/route", "s/ns", "s/veth", "s/zveth"),
      item("s/zz/other"),
      item("s/zveth", "s/ns"),
    ]);
    expect(after.filter((p) => p !== "s/zveth")).toEqual(before);
  });

  test("a cycle is an error naming its paths", () => {
    expect(() => orderObjects([item("s/a", "s/b"), item("s/b", "s/c"), item("s/c", "s/a")])).toThrow(
      new DependencyCycleError(["s/a", "s/b", "s/c", "s/a"]),
    );
  });

  test("layers count the longest chain below an object", () => {
    expect(Object.fromEntries(layers([item("a"), item("b", "a"), item("c", "a", "b")]))).toEqual({ a: 0, b: 1, c: 2 });
  });
});

describe("order of the lab topology", () => {
  const { stack } = labStack();
  const [host] = buildReview(stack).hosts;

  test("every object comes after all its dependencies", () => {
    const seen = new Set<string>();
    const early: string[] = [];
    for (const o of host.objects) {
      for (const d of o.dependsOn) if (!seen.has(d)) early.push(`${o.path} before ${d}`);
      seen.add(o.path);
    }
    expect(early).toEqual([]);
    expect(seen.size).toBe(13);
  });

  test("namespaces, bridge and sysctl first, then links and NAT, then routes", () => {
    expect(host.objects.map((o) => o.path.replace("hostnet-lab/a/", ""))).toEqual([
      "br-lan",
      "cache",
      "db",
      "ip-forward",
      "web",
      "cache-veth",
      "db-veth",
      "masquerade",
      "publish-web",
      "web-veth",
      "cache/default",
      "db/default",
      "web/default",
    ]);
  });
});
