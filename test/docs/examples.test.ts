/**
 * Every construct's JSDoc has an @example (the API reference in docs/api shows
 * it), and every example type-checks against the real API, with a few names
 * (`stack`, `host`, `lan`, ...) declared as a user's stack would have them.
 */
import { readFileSync } from "fs";
import * as path from "path";
import * as ts from "typescript";

const ROOT = path.resolve(__dirname, "..", "..");

/** The construct classes of the public API and the file their JSDoc is in. */
const DOCUMENTED: Record<string, string> = {
  HostnetStack: "constructs/hostnet-stack.ts",
  Host: "constructs/host.ts",
  Namespace: "constructs/namespace.ts",
  Bridge: "constructs/bridge.ts",
  VethPair: "constructs/veth-pair.ts",
  Subnet: "constructs/subnet.ts",
  NatRule: "constructs/nat-rule.ts",
  Route: "constructs/route.ts",
  Sysctl: "constructs/sysctl.ts",
  Vxlan: "constructs/vxlan.ts",
  HostGw: "constructs/host-gw.ts",
  RoutedEndpoint: "constructs/routed-endpoint.ts",
  Macvlan: "constructs/macvlan.ts",
  Ipvlan: "constructs/ipvlan.ts",
  BandwidthLimit: "constructs/bandwidth-limit.ts",
  Network: "constructs/network.ts",
  Endpoint: "constructs/endpoint.ts",
  SharedAddressPool: "src/ipam/shared-pool.ts",
};

const PRELUDE = `import { App } from "cdktf";
import { BandwidthLimit, Bridge, Endpoint, Host, HostGw, HostnetStack, Ipvlan, Macvlan, Namespace, NatRule, Network,
  RoutedEndpoint, Route, SharedAddressPool, Subnet, Sysctl, synthOrExit, VethPair, Vxlan } from "hostnet";
declare const stack: HostnetStack;
declare const host: Host, a: Host, b: Host;
declare const lan: Subnet, subnet: Subnet;
declare const br: Bridge;
declare const web: Namespace, router: Namespace;
void [App, BandwidthLimit, Bridge, Endpoint, Host, HostGw, HostnetStack, Ipvlan, Macvlan, Namespace, NatRule, Network,
  RoutedEndpoint, Route, SharedAddressPool, Subnet, Sysctl, synthOrExit, VethPair, Vxlan, stack, host, a, b, lan, subnet, br, web, router];
`;

function exampleOf(cls: string, file: string): string | undefined {
  const text = readFileSync(path.join(ROOT, file), "utf8");
  const m = new RegExp(`(/\\*\\*(?:(?!\\*/)[\\s\\S])*?\\*/)\\s*export (?:abstract )?class ${cls}\\b`).exec(text);
  const doc = m?.[1];
  const ex = doc && /@example\s*\n\s*\*\s*```ts\n([\s\S]*?)\n\s*\*\s*```/.exec(doc);
  return ex
    ? ex[1]
        .split("\n")
        .map((l) => l.replace(/^\s*\* ?/, ""))
        .join("\n")
    : undefined;
}

describe("API examples", () => {
  test("every construct's JSDoc has a ```ts @example", () => {
    const missing = Object.entries(DOCUMENTED)
      .filter(([cls, file]) => exampleOf(cls, file) === undefined)
      .map(([cls]) => cls);
    expect(missing).toEqual([]);
  });

  test("every example type-checks against the API", () => {
    const files = new Map<string, string>();
    for (const [cls, file] of Object.entries(DOCUMENTED)) {
      const ex = exampleOf(cls, file);
      // Each example is an async module of its own so `await` and repeated names are fine.
      if (ex) files.set(path.join(ROOT, "test", "docs", `__example_${cls}.ts`), `${PRELUDE}\nexport async function example() {\n${ex}\n}\n`);
    }
    const config = ts.getParsedCommandLineOfConfigFile(
      path.join(ROOT, "tsconfig.json"),
      {},
      { ...ts.sys, onUnRecoverableConfigFileDiagnostic: () => undefined },
    )!;
    const options = { ...config.options, noEmit: true, noUnusedLocals: false };
    const host = ts.createCompilerHost(options);
    const read = host.readFile.bind(host);
    host.readFile = (f) => files.get(f) ?? read(f);
    const exists = host.fileExists.bind(host);
    host.fileExists = (f) => files.has(f) || exists(f);
    const program = ts.createProgram([...files.keys()], options, host);
    const problems = ts
      .getPreEmitDiagnostics(program)
      .filter((d) => d.file && files.has(d.file.fileName))
      .map((d) => `${path.basename(d.file!.fileName)}: ${ts.flattenDiagnosticMessageText(d.messageText, "\n")}`);
    expect(problems).toEqual([]);
  }, 120_000);
});
