/**
 * `hostnet gc`'s scan and removal scripts on real namespaces with the real
 * iptables and ip6tables (no ssh, no Terraform): a stack's tagged rules inside
 * a namespace were not listed, since the scan read only the root namespace's
 * tables. The scripts run in a scratch namespace "hngc151x" (the host's root
 * namespace as gc sees it); the rules sit in a second one, "hngc151r".
 */
import execa from "execa";
import { findOrphans, renderGcRemove, renderGcScan } from "../../src/drift/gc";

const HOST = "hngc151x";
const NS = "hngc151r";
const plan = { ids: new Set<string>(), tags: new Set(["hostnet:gcs:gcs/a/kept"]) };

const inNs = async (ns: string, ...argv: string[]) => {
  const r = await execa("ip", ["netns", "exec", ns, ...argv], { reject: false, all: true });
  if (r.exitCode !== 0) throw new Error(`${argv.join(" ")} in ${ns} failed: ${r.all}`);
  return r.stdout;
};
/** Runs a gc script as `hostnet gc` does on a host: sh, here in the scratch "host" namespace. */
const asHost = (script: string) => inNs(HOST, "sh", "-c", script);
/** The rules of the namespace, without iptables-save's comment and counter lines. */
const rules = async (tool: string) =>
  (await inNs(NS, tool))
    .split("\n")
    .filter((l) => !l.startsWith("#") && !l.startsWith(":"))
    .join("\n");

beforeAll(async () => {
  for (const ns of [HOST, NS]) {
    await execa("ip", ["netns", "del", ns], { reject: false });
    await execa("ip", ["netns", "add", ns]);
  }
  const tag = (t: string) => ["-m", "comment", "--comment", `hostnet:gcs:gcs/a/${t}`];
  await inNs(NS, "iptables", "-w", "-t", "nat", "-A", "POSTROUTING", "-s", "10.151.0.0/24", ...tag("gone"), "-j", "MASQUERADE");
  await inNs(NS, "iptables", "-w", "-t", "nat", "-A", "POSTROUTING", "-s", "10.151.1.0/24", ...tag("kept"), "-j", "MASQUERADE");
  await inNs(NS, "iptables", "-w", "-t", "nat", "-A", "POSTROUTING", "-s", "10.151.2.0/24", "-j", "MASQUERADE");
  await inNs(NS, "ip6tables", "-w", "-A", "FORWARD", "-s", "fd00:151::/64", ...tag("gone"), "-j", "ACCEPT");
}, 60_000);

afterAll(async () => {
  for (const ns of [HOST, NS]) await execa("ip", ["netns", "del", ns], { reject: false });
});

test("gc lists a namespace's tagged iptables and ip6tables rules the plan lacks, and removes only those, in the tables they were in", async () => {
  const orphans = findOrphans(await asHost(renderGcScan("gcs")), plan);
  expect(orphans.map((o) => [o.type, o.netns, o.table, o.family, o.tag])).toEqual([
    ["rule", NS, "nat", undefined, "hostnet:gcs:gcs/a/gone"],
    ["rule", NS, "filter", 6, "hostnet:gcs:gcs/a/gone"],
  ]);
  const [v4, v6] = [await rules("iptables-save"), await rules("ip6tables-save")];
  await asHost(renderGcRemove("gcs", orphans));
  const drop = (text: string, part: string) =>
    text
      .split("\n")
      .filter((l) => !l.includes(part))
      .join("\n");
  // Only the orphans went: the kept rule, the untagged one and the set of tables stay as they were.
  expect(await rules("iptables-save")).toBe(drop(v4, "gcs/a/gone"));
  expect(await rules("ip6tables-save")).toBe(drop(v6, "gcs/a/gone"));
  expect(await rules("iptables-save")).toContain("hostnet:gcs:gcs/a/kept");
  expect(findOrphans(await asHost(renderGcScan("gcs")), plan)).toEqual([]);
}, 60_000);
