import * as path from "path";
import { labDown, labStatus, labUp } from "../lab";
import { HostStatus } from "../lab/status";
import { noPositionals, parseArgs, UsageError } from "./args";
import { Command, Io } from "./command";
import { displayPath } from "../text";

const USAGE = [
  "hostnet lab up [--name L] [--hosts N] [--index N] [--dir D]",
  "hostnet lab down [--name L] [--dir D]",
  "hostnet lab status [--name L] [--dir D] [--json]",
];

async function up(args: readonly string[], io: Io): Promise<number> {
  const cmd = "hostnet lab up";
  const parsed = parseArgs(args, { name: "string", hosts: "int", index: "int", dir: "string" }, cmd);
  noPositionals(parsed, cmd);
  const { name, hosts, index, dir } = parsed.flags;
  const inv = await labUp({ name, hosts, index, dir });
  const list = Object.values(inv.hosts);
  for (const h of list) io.out([h.name, h.address, ...(h.address6 ? [h.address6] : []), h.netns, "up"].join("  "));
  const subnets = [inv.subnet, ...(inv.subnet6 ? [inv.subnet6] : [])].join(", ");
  io.out(
    `lab "${inv.lab}": ${list.length} host${list.length === 1 ? "" : "s"} up (${subnets}); inventory: ${displayPath(path.join(inv.dir, "inventory.json"))}`,
  );
  return 0;
}

async function down(args: readonly string[], io: Io): Promise<number> {
  const cmd = "hostnet lab down";
  const parsed = parseArgs(args, { name: "string", dir: "string" }, cmd);
  noPositionals(parsed, cmd);
  const r = await labDown({ name: parsed.flags.name, dir: parsed.flags.dir });
  for (const h of r.hosts) io.out(`${h}  removed`);
  if (r.hosts.length === 0 && !r.bridgeRemoved && !r.dirRemoved) {
    io.out(`lab "${r.lab}": already down`);
  } else {
    io.out(
      `lab "${r.lab}": down (${r.hosts.length} host${r.hosts.length === 1 ? "" : "s"} removed${r.bridgeRemoved ? ", bridge removed" : ""}${r.dirRemoved ? ", lab dir removed" : ""})`,
    );
  }
  return 0;
}

function hostLine(h: HostStatus): string {
  return [
    h.name,
    h.address ?? "(not in inventory)",
    ...(h.address6 ? [h.address6] : []),
    h.netnsExists ? "netns ok" : "netns missing",
    h.sshdPid !== undefined ? `sshd ${h.sshdPid}` : "sshd dead",
    h.sshReachable ? "ssh ok" : "ssh failed",
  ].join("  ");
}

async function status(args: readonly string[], io: Io): Promise<number> {
  const cmd = "hostnet lab status";
  const parsed = parseArgs(args, { name: "string", dir: "string", json: "boolean" }, cmd);
  noPositionals(parsed, cmd);
  const s = await labStatus({ name: parsed.flags.name, dir: parsed.flags.dir });
  if (parsed.flags.json) {
    io.out(JSON.stringify(s, null, 2));
    return s.healthy ? 0 : 1;
  }
  for (const h of s.hosts) io.out(hostLine(h));
  if (!s.inventory && s.hosts.length === 0 && !s.bridgeExists) {
    io.out(
      `lab "${s.lab}": not up (no inventory at ${displayPath(s.inventoryPath)}); start it with "hostnet lab up${s.lab === "lab" ? "" : ` --name ${s.lab}`}"`,
    );
  } else {
    const ok = s.hosts.filter((h) => h.sshReachable).length;
    const hint = s.healthy ? "" : `; repair with "hostnet lab up${s.lab === "lab" ? "" : ` --name ${s.lab}`}"`;
    const subnets = s.subnet ? [s.subnet, ...(s.subnet6 ? [s.subnet6] : [])].join(", ") : "no inventory";
    io.out(`lab "${s.lab}": ${ok}/${s.hosts.length} hosts reachable (${subnets})${hint}`);
  }
  return s.healthy ? 0 : 1;
}

const SUBCOMMANDS: Record<string, (args: readonly string[], io: Io) => Promise<number>> = { up, down, status };

/** `hostnet lab up|down|status`: test hosts on this machine. */
export const labCommand: Command = {
  name: "lab",
  summary: "start, stop and inspect test hosts (network namespaces running sshd)",
  usage: USAGE,
  async run(args, io) {
    const [sub, ...rest] = args;
    const handler = sub === undefined ? undefined : SUBCOMMANDS[sub];
    if (!handler) {
      throw new UsageError(
        `${sub === undefined ? "missing" : `unknown`} subcommand${sub === undefined ? "" : ` "${sub}"`} for "hostnet lab"; use one of: ${Object.keys(SUBCOMMANDS).join(", ")}.`,
      );
    }
    return handler(rest, io);
  },
};
