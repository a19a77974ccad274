import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { connectionOf, inventoryTarget, readInventoryFile, readInventoryHost, toSshTarget } from "../../src/transport/inventory";

const KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFLaLzjWwhzi4ie45/rm3ZfzUE67Q4iWjnkGxVtBj/Lw";
let dir: string;
const write = (text: string) => {
  const f = path.join(dir, `inv-${Math.random().toString(36).slice(2)}.json`);
  fs.writeFileSync(f, text);
  return f;
};
const inv = (hosts: object) => write(JSON.stringify({ hosts }));
beforeAll(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), "hostnet-inventory-"))));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const LAB_A = {
  name: "a",
  address: "198.18.0.10",
  port: 22,
  user: "root",
  identityFile: "/lab/id_ed25519",
  knownHostsFile: "/lab/known_hosts",
  hostKey: KEY,
  netns: "hnlab-lab-a",
  rootVeth: "hnl-a",
};

describe("inventoryTarget: one inventory entry becomes the one connection shape, SshTarget", () => {
  test("a lab inventory host: the known_hosts file wins over the pinned key, as in Host.fromInventory", () => {
    expect(inventoryTarget(inv({ a: LAB_A }), "a")).toEqual({
      address: "198.18.0.10",
      port: 22,
      user: "root",
      identityFile: "/lab/id_ed25519",
      knownHostsFile: "/lab/known_hosts",
      insecureIgnoreHostKey: false,
    });
  });

  test("a hand-written host with a pinned key only; port and user default, the key is trimmed", () => {
    expect(inventoryTarget(inv({ web1: { address: "web1.example.org", hostKey: ` ${KEY} ` } }), "web1")).toEqual({
      address: "web1.example.org",
      port: 22,
      user: "root",
      hostKey: KEY,
      insecureIgnoreHostKey: false,
    });
  });

  test("a jump host: its port defaults to 22 and its user to the target's", () => {
    const f = inv({ a: { address: "10.0.0.5", user: "deploy", knownHostsFile: "/k/kh", jumpHost: { address: "bastion.example.net" } } });
    expect(inventoryTarget(f, "a").jump).toEqual({ address: "bastion.example.net", port: 22, user: "deploy" });
  });

  test.each([
    [{ a: { address: "198.18.0.10", hostKey: KEY } }, "b", /has no host "b"; it has: a\.$/],
    [{ a: { address: "198.18.0.10", hostKey: KEY } }, "toString", /has no host "toString"; it has: a\.$/],
    [{ a: { address: "198.18.0.10" } }, "a", /host "a" in .*: no pinned host key; give the host a knownHostsFile or hostKey in the inventory\.$/],
    [{ a: { address: "-oProxyCommand=x", hostKey: KEY } }, "a", /host address "-oProxyCommand=x" is not a DNS name, IPv4 or IPv6 address/],
    [{ a: { address: "198.18.0.10", hostKey: KEY, identityFile: "-i/etc/shadow" } }, "a", /identity file path "-i\/etc\/shadow" may hold only/],
    [{ a: { address: "198.18.0.10", hostKey: KEY, jumpHost: { address: "j" } } }, "a", /a jump host needs a knownHostsFile holding both/],
    [{ a: { address: "198.18.0.10", knownHostsFile: "/k", jumpHost: { address: "-oProxyCommand=x" } } }, "a", /host address "-oProxyCommand=x"/],
  ])("problems are user errors naming the file and the fix (%#)", (hosts, name, message) => {
    expect(() => inventoryTarget(inv(hosts), name)).toThrow(message);
  });
});

describe("readInventoryFile / readInventoryHost", () => {
  test("a missing inventory says how to make one", () => {
    const f = path.join(dir, "nope.json");
    expect(() => readInventoryHost(f, "a")).toThrow(`no inventory at ${f}; start the lab with "hostnet lab up" or pass another inventory file.`);
    expect(() => readInventoryFile(f, { label: "lab inventory", fix: 'start the lab with "hostnet lab up"' })).toThrow(
      `no lab inventory at ${f}; start the lab with "hostnet lab up".`,
    );
  });

  test.each([
    ["{", /is not valid JSON/],
    ["[]", /lacks "hosts"/],
    ['{"hosts": null}', /lacks "hosts"/],
    ['{"hosts": []}', /lacks "hosts"/],
  ])("%s is rejected", (text, message) => {
    expect(() => readInventoryFile(write(text))).toThrow(message);
  });

  test("an entry is returned as it stands; connectionOf keeps only what says how to connect", () => {
    const f = inv({ a: LAB_A });
    expect(readInventoryHost(f, "a")).toEqual(LAB_A);
    expect(connectionOf(LAB_A)).toEqual({
      address: "198.18.0.10",
      port: 22,
      user: "root",
      identityFile: "/lab/id_ed25519",
      knownHostsFile: "/lab/known_hosts",
    });
  });
});

describe("toSshTarget: the defaults of every connection", () => {
  test.each([
    [{ address: "h" }, { address: "h", port: 22, user: "root", insecureIgnoreHostKey: false }],
    [
      { address: "h", port: 2222, user: "u", hostKey: `${KEY}\n`, insecureIgnoreHostKey: true },
      { address: "h", port: 2222, user: "u", hostKey: KEY, insecureIgnoreHostKey: true },
    ],
    [
      { address: "h", user: "u", jumpHost: { address: "j", port: 2200 } },
      { address: "h", port: 22, user: "u", insecureIgnoreHostKey: false, jump: { address: "j", port: 2200, user: "u" } },
    ],
    [
      { address: "h", jumpHost: { address: "j", user: "jumper" } },
      { address: "h", port: 22, user: "root", insecureIgnoreHostKey: false, jump: { address: "j", port: 22, user: "jumper" } },
    ],
  ])("%j", (props, want) => {
    expect(toSshTarget(props)).toEqual(want);
  });
});
