import { App, Testing } from "cdktf";
import { Host, HostnetStack } from "../../constructs";
import { labTopology } from "../../stacks/lab-topology";

/** A fixed host key: review output must not depend on the machine. */
export const HOST_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHJldmlldy10ZXN0LWtleS1ub3QtcmVhbC0wMDAw";

/** The lab topology on host "a" at 198.18.0.10, in stack "hostnet-lab"; `extra` adds objects. */
export function labStack(extra?: (host: Host, lab: ReturnType<typeof labTopology>) => void, app: App = Testing.app()) {
  const stack = new HostnetStack(app, "hostnet-lab");
  const host = new Host(stack, "a", { address: "198.18.0.10", hostKey: HOST_KEY });
  const lab = labTopology(host);
  extra?.(host, lab);
  return { app, stack, host, lab };
}
