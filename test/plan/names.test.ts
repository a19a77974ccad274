import { createHash } from "crypto";
import { deriveName, objectId, objectTag, shortHash } from "../../src/plan/names";

const sha = (text: string, len: number) => createHash("sha256").update(text).digest("hex").slice(0, len);

describe("shortHash", () => {
  test("is the first hex digits of SHA-256", () => {
    expect(shortHash("s/a/web")).toBe(sha("s/a/web", 6));
    expect(shortHash("s/a/web", 12)).toMatch(/^[0-9a-f]{12}$/);
  });
});

describe("deriveName", () => {
  test.each([
    ["web", "s/a/web", 15, "", "web"],
    ["br-lan", "s/a/br-lan", 15, "", "br-lan"],
    ["vlan.10_x", "s/a/vlan.10_x", 15, "", "vlan.10_x"],
    ["abcdefghijklmno", "s/a/abcdefghijklmno", 15, "", "abcdefghijklmno"],
    ["web", "s/a/web", 15, "ve-", "ve-web"],
    ["web-veth-a", "s/a/web-veth-a", 15, "", "web-veth-a"],
    ["x".repeat(64), `s/a/${"x".repeat(64)}`, 64, "", "x".repeat(64)],
  ])("%j (max %#) fits and stays as it is", (id, path, max, prefix, want) => {
    expect(deriveName(id, path, max, prefix)).toBe(want);
  });

  test.each([
    ["abcdefghijklmnop", "s/a/abcdefghijklmnop", 15, "", `abcdefghij-${sha("s/a/abcdefghijklmnop", 4)}`],
    ["frontend-web-01", "s/a/frontend-web-01", 15, "ve-", `ve-fronten-${sha("s/a/frontend-web-01", 4)}`],
    ["x".repeat(65), `s/a/${"x".repeat(65)}`, 64, "", `${"x".repeat(59)}-${sha(`s/a/${"x".repeat(65)}`, 4)}`],
  ])("%j is too long: a readable head plus a hash of the path", (id, path, max, prefix, want) => {
    const name = deriveName(id, path, max, prefix);
    expect(name).toBe(want);
    expect(name.length).toBe(max);
  });

  test("is deterministic", () => {
    expect(deriveName("a-very-long-bridge-name", "s/a/a-very-long-bridge-name", 15)).toBe(
      deriveName("a-very-long-bridge-name", "s/a/a-very-long-bridge-name", 15),
    );
  });

  test("two long ids that share a head get different names", () => {
    const a = deriveName("customer-frontend-blue", "s/a/customer-frontend-blue", 15);
    const b = deriveName("customer-frontend-green", "s/a/customer-frontend-green", 15);
    expect(a.slice(0, 10)).toBe(b.slice(0, 10));
    expect(a).not.toBe(b);
  });

  test("the same long id under two hosts gets different names (the hash covers the path)", () => {
    expect(deriveName("customer-frontend", "s/a/customer-frontend", 15)).not.toBe(deriveName("customer-frontend", "s/b/customer-frontend", 15));
  });

  test("ids that differ only in characters the cleaning replaces still get different names", () => {
    const names = [
      deriveName("web app", "s/a/web app", 15),
      deriveName("web-app", "s/a/web-app", 15),
      deriveName("web_app", "s/a/web_app", 15),
      deriveName("-web-app", "s/a/-web-app", 15),
    ];
    expect(new Set(names).size).toBe(names.length);
    expect(names[1]).toBe("web-app");
  });

  test.each([
    ["web app", "s/a/web app", `web-app-${sha("s/a/web app", 4)}`],
    ["-web", "s/a/-web", `web-${sha("s/a/-web", 4)}`],
    [".hidden", "s/a/.hidden", `hidden-${sha("s/a/.hidden", 4)}`],
    ["日本", "s/a/日本", `x-${sha("s/a/日本", 4)}`],
    ["$(id)", "s/a/$(id)", `id--${sha("s/a/$(id)", 4)}`],
  ])("%j is cleaned to a safe name and marked with a hash", (id, path, want) => {
    expect(deriveName(id, path, 15)).toBe(want);
  });

  test.each([
    ["tab\there and there", "s/a/t"],
    ["ünïcödé-ïntérfacé-name", "s/a/u"],
    ["..", "s/a/.."],
    ["-".repeat(40), "s/a/dashes"],
    ["a".repeat(200), "s/a/long"],
  ])("%j becomes a valid interface name", (id, path) => {
    const name = deriveName(id, path, 15);
    expect(Buffer.byteLength(name)).toBeLessThanOrEqual(15);
    expect(name).toMatch(/^[A-Za-z0-9_][A-Za-z0-9_.-]*$/);
  });
});

describe("objectTag", () => {
  test.each([
    ["s", "s/a/br-lan", "hostnet:s:s/a/br-lan"],
    ["lab-1", "lab-1/host_a/web/default", "hostnet:lab-1:lab-1/host_a/web/default"],
    ["s", "s/a/web app", "hostnet:s:s/a/web_app"],
    ["s", `s/a/$(id)'"\n`, "hostnet:s:s/a/__id____"],
    ["s", "s/a/é", "hostnet:s:s/a/_"],
  ])("(%s, %j) is %s", (stack, path, want) => {
    expect(objectTag(stack, path)).toBe(want);
  });

  test("a tag of exactly 200 characters is kept whole", () => {
    const path = `s/${"p".repeat(200 - "hostnet:s:s/".length)}`;
    expect(objectTag("s", path)).toBe(`hostnet:s:${path}`);
    expect(objectTag("s", path)).toHaveLength(200);
  });

  test("a longer tag is cut to 190 characters plus ~ and a hash of the path", () => {
    const path = `s/${"p".repeat(300)}`;
    const tag = objectTag("s", path);
    expect(tag).toBe(`${`hostnet:s:${path}`.slice(0, 190)}~${sha(path, 8)}`);
    expect(tag).toHaveLength(199);
  });

  test("two long paths that share the first 190 characters get different tags", () => {
    const head = `s/${"p".repeat(250)}`;
    expect(objectTag("s", `${head}/one`)).not.toBe(objectTag("s", `${head}/two`));
  });

  test.each([
    ["s", "s/a/br-lan"],
    ["s", `s/${"é".repeat(300)}`],
    ["s", "s/a/`x` $y ;z"],
  ])("(%s, %j) uses only the tag charset and fits iptables' comment and IFALIASZ", (stack, path) => {
    const tag = objectTag(stack, path);
    expect(tag).toMatch(/^[A-Za-z0-9_.:/~-]+$/);
    expect(Buffer.byteLength(tag)).toBeLessThanOrEqual(200);
  });
});

describe("objectId", () => {
  test("is 12 hex digits of the path's SHA-256, stable and distinct per path", () => {
    expect(objectId("s/a/br-lan")).toBe(sha("s/a/br-lan", 12));
    expect(objectId("s/a/br-lan")).toMatch(/^[0-9a-f]{12}$/);
    expect(objectId("s/a/br-lan")).not.toBe(objectId("s/b/br-lan"));
  });
});
