/**
 * Scenario 11 (examples/docker-network, note 1's network model): a Network
 * "appnet" on host a with three namespaces connected and one published port.
 * The endpoints talk to each other, leave through masquerade, the published
 * port answers from host b and from the network itself, `hostnet inspect a`
 * (the real CLI) shows the network with every veth's peer, and destroy
 * removes everything.
 */
import execa from "execa";
import * as path from "path";
import { ping } from "./support/probe";
import { useScenario } from "./support/scenario";

const s = useScenario({ lab: "scv", index: 55, hosts: 2, example: "docker-network", stack: "docker-network" });
const probes = s.probes;
const BIN = path.resolve(__dirname, "..", "..", "bin", "hostnet");
const inventory = () => path.join(s.inv.dir, "inventory.json");
const inspect = (...args: string[]) => execa(BIN, ["inspect", "a", "--inventory", inventory(), ...args], { reject: false });
const TAG = "hostnet:docker-network:docker-network/a/appnet";

describe("docker-style network", () => {
  test("cdktf deploy creates the network (bridge, masquerade) and three endpoints, one with a published port", async () => {
    const r = await s.deploy();
    expect({ exitCode: r.exitCode, output: r.exitCode === 0 ? "" : r.output.slice(-4000) }).toEqual({ exitCode: 0, output: "" });
    expect(r.output).toContain("Apply complete! Resources: 15 added");
    await probes.serveEcho("a", "web", 80, "web");
  }, 300_000);

  test("endpoints reach each other and the gateway", async () => {
    expect(await ping(s.inv, "a", "10.89.0.4", "api")).toBe(true); // api -> db
    expect(await ping(s.inv, "a", "10.89.0.2", "db")).toBe(true); // db -> web
    expect(await ping(s.inv, "a", "10.89.0.1", "web")).toBe(true);
  }, 30_000);

  test("the published port answers host b and, through a's address, another endpoint of the network", async () => {
    expect(await probes.tcpLine("b", s.address("a"), 10080)).toBe(`web ${s.address("b")}`);
    expect(await probes.tcpLine("a", s.address("a"), 10080, "api")).toBe("web 10.89.0.1");
    expect(await probes.tcpLine("a", s.address("a"), 10080, "web")).toBe("web 10.89.0.1");
  }, 30_000);

  test("endpoints leave the network masqueraded to a's address", async () => {
    await probes.serveEcho("b", undefined, 7000, "b-saw");
    expect(await probes.tcpLine("a", s.address("b"), 7000, "db")).toBe(`b-saw ${s.address("a")}`);
  }, 30_000);

  test("hostnet inspect a lists the namespaces, the bridge with its ports, each veth's peer, routes and the tagged NAT rules", async () => {
    const r = await inspect();
    expect(r.stderr).toBe("");
    expect(r.exitCode).toBe(0);
    const lines = r.stdout.split("\n");
    expect(lines[0]).toMatch(/^namespaces\s+api, db, web$/);
    expect(lines).toContainEqual(
      expect.stringMatching(/^bridge\s+root\s+br-appnet {2}10\.89\.0\.1\/24 {2}ports: ve-appnet-api, ve-appnet-db, ve-appnet-web$/),
    );
    for (const ns of ["api", "db", "web"]) {
      expect(lines).toContainEqual(
        expect.stringMatching(
          new RegExp(`^link\\s+root\\s+ve-appnet-${ns} {2}veth {2}up {2}master br-appnet {2}peer eth0 in netns ${ns} {2}\\[${TAG}/${ns}\\]$`),
        ),
      );
      expect(lines).toContainEqual(
        expect.stringMatching(new RegExp(`^link\\s+netns ${ns}\\s+eth0 {2}veth {2}up {2}10\\.89\\.0\\.\\d/24 {2}peer ve-appnet-${ns} in root`)),
      );
      expect(lines).toContainEqual(expect.stringMatching(new RegExp(`^route\\s+netns ${ns}\\s+default via 10\\.89\\.0\\.1 dev eth0 proto 199$`)));
    }
    expect(lines).toContainEqual(
      expect.stringMatching(
        /^rule\s+root\s+-t nat -A PREROUTING .*--dport 10080 -j DNAT --to-destination 10\.89\.0\.2:80 {2}\[hostnet:docker-network:docker-network\/a\/appnet\/web-tcp-10080\]$/,
      ),
    );
    expect(lines).toContainEqual(
      expect.stringMatching(
        /^rule\s+root\s+-t nat -A POSTROUTING -s 10\.89\.0\.0\/24 ! -o br-appnet -j MASQUERADE {2}\[hostnet:docker-network:docker-network\/a\/appnet\/masquerade\]$/,
      ),
    );
    // The lab host's IPv6 management subnet is a route of its own (route6).
    expect(lines).toContainEqual(expect.stringMatching(/^route6\s+root\s+fd00:198:18:55::\/64 dev eth0 proto kernel/));
    expect(lines[lines.length - 1]).toBe(`host a (${s.address("a")}): 3 namespaces, 8 links (7 veth ends, 1 bridge), 9 routes, 8 hostnet NAT rules`);
  }, 60_000);

  test("hostnet inspect a --json gives the same picture for scripts", async () => {
    const r = await inspect("--json");
    expect({ exitCode: r.exitCode, stderr: r.stderr }).toEqual({ exitCode: 0, stderr: "" });
    const j = JSON.parse(r.stdout);
    expect(j.namespaces).toEqual(["api", "db", "web"]);
    expect(j.bridges).toEqual([{ name: "br-appnet", addresses: ["10.89.0.1/24"], ports: ["ve-appnet-api", "ve-appnet-db", "ve-appnet-web"] }]);
    const web = j.links.find((l: { netns?: string; name: string }) => l.netns === "web" && l.name === "eth0");
    expect(web.peer).toMatchObject({ name: "ve-appnet-web", found: true });
    expect(web.peer.netns).toBeUndefined();
    expect(j.nat.map((n: { tag: string }) => n.tag)).toContain(`${TAG}/web-tcp-10080`);
  }, 60_000);

  test("cdktf destroy removes the network: nothing is left on either host, and inspect shows no namespace or hostnet rule", async () => {
    const r = await s.destroy();
    expect({ exitCode: r.exitCode, output: r.exitCode === 0 ? "" : r.output.slice(-4000) }).toEqual({ exitCode: 0, output: "" });
    expect(r.output).toContain("Destroy complete! Resources: 15 destroyed");
    expect(await s.snapshots()).toEqual(s.before);
    const after = await inspect();
    expect(after.exitCode).toBe(0);
    expect(after.stdout.split("\n").slice(-1)[0]).toMatch(/: 0 namespaces, 1 link \(1 veth end, 0 bridges\), 2 routes, 0 hostnet NAT rules$/);
  }, 300_000);
});
