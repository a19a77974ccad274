import { Bridge, Endpoint, Namespace, Subnet } from "../../constructs";
import { newHost, newStack, resourceOf, synthJson } from "../support/stacks";

/** A host with a bridge and `n` endpoints (fixed addresses, so the others do not move); its Terraform values by HN_PATH. */
function build(n: number, extra?: "namespace"): Record<string, Record<string, string>> {
  const { stack } = newStack();
  const host = newHost(stack);
  const subnet = new Subnet(host, "lan", { cidr: "10.90.0.0/24" });
  const bridge = new Bridge(host, "br-lan", { address: subnet.gateway });
  for (let i = 1; i <= n; i++) new Endpoint(host, `ep${i}`, { bridge, address: subnet.address(`10.90.0.${10 + i}`) });
  if (extra === "namespace") new Namespace(host, "extra");
  const json = synthJson(stack);
  const out: Record<string, Record<string, string>> = {};
  for (const r of Object.values(json.resource.terraform_data)) out[r.provisioner[0]["local-exec"].environment.HN_PATH] = r.triggers_replace!;
  // The ordering: preflight, sweep, objects.
  expect(json.resource.terraform_data[resourceOf(json, "terraform_data", "s/a/sweep")].depends_on).toEqual([
    `terraform_data.${resourceOf(json, "terraform_data", "s/a")}`,
  ]);
  return out;
}

const changed = (a: Record<string, unknown>, b: Record<string, unknown>) =>
  [...new Set([...Object.keys(a), ...Object.keys(b)])].filter((k) => JSON.stringify(a[k]) !== JSON.stringify(b[k])).sort();

describe("the host's hooks when one object is added", () => {
  test("one more endpoint leaves the host's preflight as it is: only the endpoint and the sweep change", () => {
    const before = build(3);
    const after = build(4);
    expect(after["s/a"]).toEqual(before["s/a"]);
    expect(changed(before, after)).toEqual(["s/a/ep4", "s/a/sweep"]);
  });

  test("removing an endpoint changes only the sweep, whose keep list no longer names it", () => {
    expect(changed(build(4), build(3))).toEqual(["s/a/ep4", "s/a/sweep"]);
  });

  test("the sweep's summary says what it is; the preflight's too", () => {
    const t = build(1);
    expect([t["s/a"].summary, t["s/a/sweep"].summary]).toEqual(["preflight of host a", "sweep of host a"]);
  });
});
