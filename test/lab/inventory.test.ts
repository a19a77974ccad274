import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { buildInventory, publicKeyWithoutComment, readInventory, renderKnownHosts, writeInventory } from "../../src/lab/inventory";
import { hashIndex, hostFromNetns, hostFromRootVeth, hostNames, labLayout, labNameProblem, subnetIndex } from "../../src/lab/naming";
import { defaultInventoryPath, labFiles, labRoot } from "../../src/lab/paths";

describe("lab names", () => {
  test.each([
    ["lab", true],
    ["a", true],
    ["t1", true],
    ["abcdefgh", true],
    ["abcdefghi", false], // 9 characters: "hl-abcdefghi-a" would still fit, but the rule is 8
    ["1lab", false],
    ["Lab", false],
    ["la-b", false],
    ["la_b", false],
    ["", false],
    ["lab ", false],
  ])("%j is valid: %s", (name, valid) => {
    expect(labNameProblem(name) === undefined).toBe(valid);
  });

  test("the problem message names the bad value and the rule", () => {
    expect(labNameProblem("Bad")).toBe(
      'lab name "Bad" is invalid: use 1-8 characters, a lowercase letter first, then lowercase letters or digits (e.g. "lab", "t1").',
    );
  });
});

describe("host names", () => {
  test.each([
    [1, ["a"]],
    [2, ["a", "b"]],
    [5, ["a", "b", "c", "d", "e"]],
  ])("%i hosts are %j", (count, names) => {
    expect(hostNames(count)).toEqual(names);
  });

  test("26 hosts end with z", () => {
    expect(hostNames(26).at(-1)).toBe("z");
  });

  test.each([0, 27, 1.5, -1])("%d hosts is rejected", (count) => {
    expect(() => hostNames(count)).toThrow(`host count ${count} is invalid: a lab has 1 to 26 hosts (--hosts N).`);
  });
});

describe("subnet index", () => {
  test.each([
    ["lab", undefined, 0],
    ["lab", 7, 7],
    ["tlab", undefined, 249],
    ["a", undefined, 221],
    ["z9", undefined, 151],
    ["lab1", undefined, 64],
    ["web", undefined, 76],
    ["web", 0, 0],
    ["web", 255, 255],
  ])("lab %j with index %j uses 198.18.%i.0/24", (name, index, want) => {
    expect(subnetIndex(name, index)).toBe(want);
  });

  test.each([256, -1, 2.5])("index %d is rejected", (index) => {
    expect(() => subnetIndex("lab", index)).toThrow(`subnet index ${index} is invalid`);
  });

  test("the hash stays within 1..250 for many names", () => {
    for (let i = 0; i < 2000; i++) {
      const h = hashIndex(`l${i.toString(36)}`);
      expect(h).toBeGreaterThanOrEqual(1);
      expect(h).toBeLessThanOrEqual(250);
    }
  });
});

describe("lab layout", () => {
  test("the default lab has two hosts on 198.18.0.0/24", () => {
    expect(labLayout({})).toEqual({
      lab: "lab",
      index: 0,
      bridge: "hlbr-lab",
      gateway: "198.18.0.1",
      prefixLength: 24,
      subnet: "198.18.0.0/24",
      gateway6: "fd00:198:18::1",
      subnet6: "fd00:198:18::/64",
      hosts: [
        { name: "a", netns: "hnlab-lab-a", rootVeth: "hl-lab-a", address: "198.18.0.10", address6: "fd00:198:18::10", hostname: "lab-a" },
        { name: "b", netns: "hnlab-lab-b", rootVeth: "hl-lab-b", address: "198.18.0.11", address6: "fd00:198:18::11", hostname: "lab-b" },
      ],
    });
  });

  test("host z of a 26-host lab gets .35", () => {
    const layout = labLayout({ name: "big", hosts: 26, index: 9 });
    expect(layout.hosts[25]).toEqual({
      name: "z",
      netns: "hnlab-big-z",
      rootVeth: "hl-big-z",
      address: "198.18.9.35",
      address6: "fd00:198:18:9::35",
      hostname: "big-z",
    });
  });

  test("interface names of the longest lab name fit IFNAMSIZ", () => {
    const layout = labLayout({ name: "abcdefgh", hosts: 26 });
    expect(Buffer.byteLength(layout.bridge)).toBeLessThanOrEqual(15);
    for (const h of layout.hosts) expect(Buffer.byteLength(h.rootVeth)).toBeLessThanOrEqual(15);
  });

  test("an invalid name is rejected before anything else", () => {
    expect(() => labLayout({ name: "x-y", hosts: 99 })).toThrow('lab name "x-y" is invalid');
  });
});

describe("recognizing a lab's objects", () => {
  test.each([
    ["lab", "hnlab-lab-a", "a"],
    ["lab", "hnlab-lab-z", "z"],
    ["lab", "hnlab-lab1-a", undefined],
    ["lab", "hnlab-lab-ab", undefined],
    ["lab", "hnlab-lab-", undefined],
    ["a", "hnlab-ab-a", undefined],
    ["ab", "hnlab-ab-a", "a"],
  ])("lab %j owns netns %j as host %j", (lab, netns, host) => {
    expect(hostFromNetns(lab, netns)).toBe(host);
  });

  test.each([
    ["lab", "hl-lab-a", "a"],
    ["lab", "hlbr-lab", undefined],
    ["lab", "hl-lab1-a", undefined],
    ["t1", "hl-t1-c", "c"],
  ])("lab %j owns root link %j as host %j", (lab, link, host) => {
    expect(hostFromRootVeth(lab, link)).toBe(host);
  });
});

describe("lab paths", () => {
  const saved = process.env.HOSTNET_LAB_DIR;
  afterEach(() => {
    if (saved === undefined) delete process.env.HOSTNET_LAB_DIR;
    else process.env.HOSTNET_LAB_DIR = saved;
  });

  test("the lab root defaults to <cwd>/.lab", () => {
    delete process.env.HOSTNET_LAB_DIR;
    expect(labRoot()).toBe(path.join(process.cwd(), ".lab"));
    expect(defaultInventoryPath()).toBe(path.join(process.cwd(), ".lab", "lab", "inventory.json"));
  });

  test("HOSTNET_LAB_DIR overrides the default and is made absolute", () => {
    process.env.HOSTNET_LAB_DIR = "rel/labs";
    expect(labRoot()).toBe(path.resolve("rel/labs"));
    expect(defaultInventoryPath("t1")).toBe(path.resolve("rel/labs/t1/inventory.json"));
  });

  test("an explicit dir wins over HOSTNET_LAB_DIR", () => {
    process.env.HOSTNET_LAB_DIR = "/elsewhere";
    const f = labFiles("t1", "/tmp/x");
    expect([f.dir, f.identityFile, f.knownHosts, f.sshdConfig("b"), f.pidFile("b")]).toEqual([
      "/tmp/x/t1",
      "/tmp/x/t1/id_ed25519",
      "/tmp/x/t1/known_hosts",
      "/tmp/x/t1/hosts/b/sshd_config",
      "/tmp/x/t1/hosts/b/sshd.pid",
    ]);
  });
});

describe("inventory", () => {
  const layout = labLayout({ name: "t1", hosts: 2, index: 4 });
  const files = labFiles("t1", "/abs");
  const inv = buildInventory(layout, files, { a: "ssh-ed25519 AAAAa", b: "ssh-ed25519 AAAAb" });

  test("describes each host with absolute key paths and no key material", () => {
    expect(inv).toEqual({
      lab: "t1",
      dir: "/abs/t1",
      bridge: "hlbr-t1",
      gateway: "198.18.4.1",
      subnet: "198.18.4.0/24",
      gateway6: "fd00:198:18:4::1",
      subnet6: "fd00:198:18:4::/64",
      hosts: {
        a: {
          name: "a",
          address: "198.18.4.10",
          port: 22,
          user: "root",
          identityFile: "/abs/t1/id_ed25519",
          knownHostsFile: "/abs/t1/known_hosts",
          hostKey: "ssh-ed25519 AAAAa",
          netns: "hnlab-t1-a",
          rootVeth: "hl-t1-a",
          address6: "fd00:198:18:4::10",
        },
        b: {
          name: "b",
          address: "198.18.4.11",
          port: 22,
          user: "root",
          identityFile: "/abs/t1/id_ed25519",
          knownHostsFile: "/abs/t1/known_hosts",
          hostKey: "ssh-ed25519 AAAAb",
          netns: "hnlab-t1-b",
          rootVeth: "hl-t1-b",
          address6: "fd00:198:18:4::11",
        },
      },
    });
  });

  test("known_hosts pins each key under both its addresses", () => {
    expect(renderKnownHosts(inv)).toBe(
      "198.18.4.10 ssh-ed25519 AAAAa\nfd00:198:18:4::10 ssh-ed25519 AAAAa\n198.18.4.11 ssh-ed25519 AAAAb\nfd00:198:18:4::11 ssh-ed25519 AAAAb\n",
    );
  });

  test("off port 22 the known_hosts names are [address]:port, IPv6 included; an inventory from before IPv6 pins the IPv4 address only", () => {
    const moved = { ...inv, hosts: { a: { ...inv.hosts.a, port: 2222 }, b: { ...inv.hosts.b, address6: undefined } } };
    expect(renderKnownHosts(moved)).toBe(
      "[198.18.4.10]:2222 ssh-ed25519 AAAAa\n[fd00:198:18:4::10]:2222 ssh-ed25519 AAAAa\n198.18.4.11 ssh-ed25519 AAAAb\n",
    );
  });

  test.each([
    ["ssh-ed25519 AAAAC3Nz hostnet-lab-t1-a\n", "ssh-ed25519 AAAAC3Nz"],
    ["ssh-ed25519 AAAAC3Nz", "ssh-ed25519 AAAAC3Nz"],
    ["  ssh-ed25519   AAAAC3Nz  a b  ", "ssh-ed25519 AAAAC3Nz"],
  ])("public key %j without comment is %j", (line, want) => {
    expect(publicKeyWithoutComment(line)).toBe(want);
  });

  test("round-trips through inventory.json", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "hostnet-inv-"));
    try {
      const file = path.join(dir, "inventory.json");
      writeInventory(file, inv);
      expect(readInventory(file)).toEqual(inv);
      expect(fs.readdirSync(dir)).toEqual(["inventory.json"]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test("a missing inventory says how to create one", () => {
    expect(() => readInventory("/nonexistent/inventory.json")).toThrow(
      'no lab inventory at /nonexistent/inventory.json; start the lab with "hostnet lab up".',
    );
  });

  test("an inventory without hosts is rejected", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "hostnet-inv-"));
    try {
      const file = path.join(dir, "inventory.json");
      fs.writeFileSync(file, '{"lab":"x"}');
      expect(() => readInventory(file)).toThrow(`lab inventory ${file} lacks "hosts"; start the lab with "hostnet lab up".`);
      fs.writeFileSync(file, '{"hosts":{}}');
      expect(() => readInventory(file)).toThrow(`lab inventory ${file} lacks "lab" or "hosts"`);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
