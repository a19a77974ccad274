import { parseInspection } from "../inspect/parse";
import { formatInspection } from "../inspect/format";
import { runProbe } from "../inspect/remote";
import { defaultInventoryPath, inventoryTarget } from "../transport/inventory";
import { parseArgs, UsageError } from "./args";
import { Command, Io } from "./command";

const USAGE = ["hostnet inspect <host> [--inventory F] [--json]"];

/**
 * `hostnet inspect <host>`: what is on a host now, read over SSH without
 * changing anything: namespaces, links and where each veth's peer lives,
 * addresses, bridges and their ports, routes, and the NAT rules hostnet tagged.
 */
export const inspectCommand: Command = {
  name: "inspect",
  summary: "show a host's namespaces, links (with veth peers), bridges, routes and hostnet's NAT rules, read-only over SSH",
  usage: USAGE,
  async run(args: readonly string[], io: Io): Promise<number> {
    const cmd = "hostnet inspect";
    const parsed = parseArgs(args, { inventory: "string", json: "boolean" }, cmd);
    if (parsed.positionals.length !== 1)
      throw new UsageError(`"${cmd}" takes one host name, e.g. "hostnet inspect a"; got ${parsed.positionals.length}.`);
    const name = parsed.positionals[0];
    const inventory = parsed.flags.inventory ?? defaultInventoryPath();
    const target = inventoryTarget(inventory, name);
    const inspection = parseInspection(await runProbe(name, target));
    if (parsed.flags.json) {
      io.out(JSON.stringify({ host: name, address: target.address, ...inspection }, null, 2));
      return 0;
    }
    for (const line of formatInspection(`host ${name} (${target.address})`, inspection)) io.out(line);
    return 0;
  },
};
