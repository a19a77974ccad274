import * as fs from "fs";
import * as path from "path";
import { noPositionals, parseArgs, UsageError } from "./args";
import { Command, Io } from "./command";
import { HostnetError } from "../errors";

const USAGE = ["hostnet init [DIR] [--cdktn] [--from TARBALL_OR_DIR] [--force]"];

/** The framework a new project is written for: cdktf 0.21 or its continuation, CDK Terrain 0.24. */
/** The tsconfig.json of a new project (also the bench's projects). */
export const PROJECT_TSCONFIG = {
  compilerOptions: {
    target: "ES2022",
    module: "commonjs",
    lib: ["ES2022"],
    strict: true,
    esModuleInterop: true,
    skipLibCheck: true,
    types: ["node"],
  },
  include: ["*.ts"],
  exclude: ["node_modules", "cdktf.out"],
};

export type Framework = "cdktf" | "cdktn";

/**
 * Versions a new project pins. hostnet's compiled code requires "cdktf"; for
 * CDK Terrain that name is an npm alias of cdktn, so hostnet runs on the
 * framework the project chose (cdktn keeps cdktf's API and its Symbol.for
 * type marks, so the project's own `import ... from "cdktn"` works beside it).
 */
export const FRAMEWORKS: Readonly<Record<Framework, { deps: Record<string, string>; devDeps: Record<string, string>; cli: string }>> = {
  cdktf: { deps: { cdktf: "0.21.0", constructs: "10.4.2" }, devDeps: { "cdktf-cli": "0.21.0" }, cli: "cdktf" },
  cdktn: { deps: { cdktn: "0.24.0", cdktf: "npm:cdktn@0.24.0", constructs: "10.6.0" }, devDeps: { "cdktn-cli": "0.24.0" }, cli: "cdktn" },
};

/**
 * The cdktf.json "app" of a new project (and of the bench's projects): sucrase strips main.ts's types
 * without loading the TypeScript compiler (ts-node's start took 0.3-0.6 s more). Neither typechecks;
 * the project's `npm run typecheck` (tsc --noEmit) does.
 */
export const APP_COMMAND = "node -r sucrase/register/ts main.ts";

/** sucrase runs main.ts; typescript is for the typecheck script. */
const TOOL_DEPS = { "@types/node": "^20.19.0", sucrase: "^3.35.1", typescript: "~5.9.3" };

export interface InitOptions {
  readonly framework: Framework;
  /** What package.json depends on for hostnet: a version range or a "file:" spec. */
  readonly hostnetSpec: string;
  /** Project name (package.json). */
  readonly name: string;
}

/** The version of this hostnet package (its package.json). */
export function hostnetVersion(): string {
  for (let dir = __dirname; ; dir = path.dirname(dir)) {
    const file = path.join(dir, "package.json");
    if (fs.existsSync(file)) {
      const pkg = JSON.parse(fs.readFileSync(file, "utf8")) as { name?: string; version?: string };
      if (pkg.name === "hostnet" && pkg.version) return pkg.version;
    }
    if (path.dirname(dir) === dir) throw new HostnetError(`no package.json of hostnet above ${__dirname}; reinstall hostnet.`, 1);
  }
}

/** The files of a new project, by relative path. Pure: the caller writes them. */
export function projectFiles(o: InitOptions): Record<string, string> {
  const fw = FRAMEWORKS[o.framework];
  const pkg = {
    name: o.name,
    version: "0.1.0",
    private: true,
    scripts: {
      synth: `${fw.cli} synth`,
      plan: "hostnet plan",
      // hostnet's own deploy: the framework's CLI reports some failures (a killed apply) as success.
      deploy: "hostnet deploy",
      destroy: "hostnet destroy",
      typecheck: "tsc --noEmit",
    },
    dependencies: { hostnet: o.hostnetSpec, ...fw.deps },
    devDependencies: { ...fw.devDeps, ...TOOL_DEPS },
  };
  const cdktfJson = {
    language: "typescript",
    app: APP_COMMAND,
    projectId: o.name,
    sendCrashReports: "false",
    terraformProviders: [],
    terraformModules: [],
    context: {},
  };
  const tsconfig = PROJECT_TSCONFIG;
  const json = (v: unknown) => JSON.stringify(v, null, 2) + "\n";
  return {
    "package.json": json(pkg),
    "cdktf.json": json(cdktfJson),
    "tsconfig.json": json(tsconfig),
    "main.ts": mainTs(o.name, o.framework),
    ".gitignore": ["node_modules/", "cdktf.out/", ".lab/", "*.tfstate", "*.tfstate.backup", ".terraform/", ".terraform.lock.hcl", ""].join("\n"),
    "README.md": readme(o.name, fw.cli),
  };
}

function mainTs(name: string, framework: Framework): string {
  return `/**
 * One host from an inventory file: a bridge, two namespaces on it, outbound
 * masquerade and host port 8080 published to port 80 in "web".
 * The inventory is inventory.json beside this file (see hostnet's docs/hosts.md),
 * or the file named by HOSTNET_INVENTORY (e.g. .lab/lab/inventory.json of \`npx hostnet lab up\`).
 */
import { App } from "${framework}";
import { Bridge, Host, HostnetStack, Namespace, NatRule, Route, Subnet, VethPair, synthOrExit } from "hostnet";

const inventory = process.env.HOSTNET_INVENTORY ?? "inventory.json";

const app = new App();
const stack = new HostnetStack(app, ${JSON.stringify(name)});
const host = Host.fromInventory(stack, "a", inventory);

const lan = new Subnet(host, "lan", { cidr: "10.88.0.0/24" }); // gateway 10.88.0.1
const br = new Bridge(host, "br-lan", { address: lan.gateway });
for (const name of ["web", "db"]) {
  const ns = new Namespace(host, name);
  new VethPair(host, \`\${name}-veth\`, { a: { namespace: ns, address: lan.allocate(ns) }, b: { bridge: br } });
  new Route(ns, "default", { via: lan.gateway });
}
NatRule.masquerade(host, "masquerade", { subnet: lan, bridge: br });
NatRule.portForward(host, "publish-web", { hostPort: 8080, to: "10.88.0.2", port: 80 });

synthOrExit(app);
`;
}

function readme(name: string, cli: string): string {
  return `# ${name}

Linux host networking with [hostnet](https://www.npmjs.com/package/hostnet): the stack is \`main.ts\`.

\`\`\`sh
npm install
npx hostnet plan                     # what will run on each host, by construct
npx hostnet deploy                   # synth, repair drift, terraform apply; non-zero exit on any failure
npx hostnet destroy
\`\`\`

\`npx ${cli} deploy --auto-approve\` and \`npx ${cli} destroy --auto-approve\` work too, but ${cli} reports some
failures as success (see hostnet's README, "When things go wrong").

- \`inventory.json\` lists the hosts (address, port, user, identityFile, knownHostsFile or hostKey);
  \`npx hostnet lab up\` (as root) makes local test hosts and writes \`.lab/lab/inventory.json\`; to use
  them, set \`HOSTNET_INVENTORY=.lab/lab/inventory.json\` for plan, deploy and destroy.
- **Commit \`hostnet.lock.json\`** (written beside \`cdktf.json\` by the first synth): it keeps every
  address the subnets hand out stable across synths and working copies.
${cli === "cdktn" ? "- cdktn-cli 0.24 needs Node.js >= 22.19 (on Node 20 its deploy fails).\n" : ""}- The Terraform state (\`terraform.${name}.tfstate\`) is local and not committed; for a team,
  see hostnet's README ("Teams").
`;
}

/**
 * The local tarball or folder npx ran this hostnet from (`npx --package ./hostnet-0.1.0.tgz hostnet init`):
 * npm passes the spec as npm_config_package. A registry spec ("hostnet", "hostnet@1") gives undefined.
 */
export function npxLocalPackage(env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): string | undefined {
  const spec = env.npm_config_package;
  if (!spec || spec.includes("\n")) return undefined;
  const local = spec.startsWith("file:") ? spec.slice(5) : spec;
  if (!/^(\.{1,2}\/|\/)/.test(local) && !/\.(tgz|tar\.gz)$/.test(local)) return undefined;
  const full = path.resolve(cwd, local);
  return fs.existsSync(full) ? full : undefined;
}

function projectName(dir: string): string {
  const base = path
    .basename(path.resolve(dir))
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, "-")
    .replace(/^-+|-+$/g, "");
  return base === "" ? "hostnet-project" : base;
}

export const initCommand: Command = {
  name: "init",
  summary: "start a hostnet project (cdktf or CDK Terrain, TypeScript) in a folder",
  usage: USAGE,
  async run(args: readonly string[], io: Io): Promise<number> {
    const parsed = parseArgs(args, { cdktn: "boolean", from: "string", force: "boolean" }, "hostnet init");
    const { flags, positionals } = parsed;
    noPositionals({ ...parsed, positionals: positionals.slice(1) }, "hostnet init");
    const dir = path.resolve(positionals[0] ?? ".");
    let hostnetSpec = `^${hostnetVersion()}`;
    const from = flags.from ?? npxLocalPackage();
    if (from !== undefined) {
      const full = path.resolve(from);
      if (!fs.existsSync(full)) throw new UsageError(`--from ${from}: no such file or folder; give a tarball from "npm pack" or a hostnet checkout.`);
      hostnetSpec = `file:${full}`;
      if (flags.from === undefined) io.out(`hostnet: the project depends on ${hostnetSpec}, the package npx ran (--from picks another)`);
    }
    const files = projectFiles({ framework: flags.cdktn ? "cdktn" : "cdktf", hostnetSpec, name: projectName(dir) });
    const existing = Object.keys(files).filter((f) => fs.existsSync(path.join(dir, f)));
    if (existing.length > 0 && !flags.force) {
      throw new UsageError(`${dir} already has ${existing.join(", ")}; choose an empty folder or pass --force to overwrite them.`);
    }
    fs.mkdirSync(dir, { recursive: true });
    for (const [f, text] of Object.entries(files)) {
      fs.writeFileSync(path.join(dir, f), text);
      io.out(`wrote ${path.join(dir, f)}`);
    }
    io.out(`next: cd ${path.relative(process.cwd(), dir) || "."} && npm install && npx hostnet plan && npx hostnet deploy`);
    return 0;
  },
};
