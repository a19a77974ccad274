import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { Testing } from "cdktf";
import { Host } from "../../constructs";
import { labTopology } from "../../stacks/lab-topology";
import { HOST_KEY, newHost, newStack } from "../support/stacks";

// A real-looking key file on disk: if anything read it, its text would show up.
const KEY_BODY = "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW";
const PRIVATE_KEY = `-----BEGIN OPENSSH PRIVATE KEY-----\n${KEY_BODY}\n-----END OPENSSH PRIVATE KEY-----\n`;

describe("no private key material in the synthesized output", () => {
  let dir: string;
  let keyFile: string;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "hostnet-secrets-"));
    keyFile = path.join(dir, "id_ed25519");
    fs.writeFileSync(keyFile, PRIVATE_KEY, { mode: 0o600 });
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  test("the identity file path appears, its contents do not", () => {
    const { stack } = newStack();
    labTopology(newHost(stack, "a", { identityFile: keyFile }));
    const json = Testing.synth(stack, true);
    expect(json).toContain(`"HN_IDENTITY": "${keyFile}"`);
    expect(json).not.toContain("PRIVATE KEY");
    expect(json).not.toContain(KEY_BODY);
  });

  test("every file of a full synth (plan JSON, manifest, review files) is free of the key", () => {
    const { stack } = newStack({ resourceType: "null_resource" });
    labTopology(newHost(stack, "a", { identityFile: keyFile }));
    const out = Testing.fullSynth(stack);
    const files: string[] = [];
    const walk = (d: string) => {
      for (const e of fs.readdirSync(d, { withFileTypes: true })) (e.isDirectory() ? walk : (f: string) => files.push(f))(path.join(d, e.name));
    };
    walk(out);
    expect(files.some((f) => f.endsWith("cdk.tf.json"))).toBe(true);
    for (const f of files) {
      const text = fs.readFileSync(f, "utf8");
      expect([f, text.includes("PRIVATE KEY") || text.includes(KEY_BODY)]).toEqual([f, false]);
    }
    fs.rmSync(out, { recursive: true, force: true });
  });

  test("a host read from an inventory keeps only the key's path", () => {
    const inventory = path.join(dir, "inventory.json");
    fs.writeFileSync(
      inventory,
      JSON.stringify({ hosts: { a: { address: "198.18.0.10", port: 22, user: "root", identityFile: keyFile, hostKey: HOST_KEY } } }),
    );
    const { stack } = newStack();
    labTopology(Host.fromInventory(stack, "a", inventory));
    const json = Testing.synth(stack, true);
    expect(json).toContain(keyFile);
    expect(json).not.toContain("PRIVATE KEY");
  });
});
