/**
 * Example (Docker's network model): a Docker-style bridge network
 * "appnet" on host a with three namespaces connected, web publishing port 80 as
 * host port 10080.
 *   cd examples/docker-network && ../../bin/hostnet deploy
 *   bin/hostnet inspect a        # from the repository root
 */
import { App } from "cdktf";
import { Construct } from "constructs";
import * as path from "path";
import { Host, HostnetStack, Namespace, Network } from "hostnet";

export function dockerNetwork(scope: Construct, inventory: string): HostnetStack {
  const stack = new HostnetStack(scope, "docker-network");
  const a = Host.fromInventory(stack, "a", inventory);
  // mydocker network create --subnet 10.89.0.0/24 --driver bridge appnet
  const appnet = new Network(a, "appnet", { subnet: "10.89.0.0/24", driver: "bridge" });
  // mydocker run -p 10080:80 --net appnet ...
  appnet.connect(new Namespace(a, "web"), { publish: [{ hostPort: 10080, port: 80, protocol: "tcp" }] });
  appnet.connect(new Namespace(a, "api"));
  appnet.connect(new Namespace(a, "db"));
  return stack;
}

if (require.main === module) {
  const app = new App();
  dockerNetwork(app, process.env.HOSTNET_INVENTORY ?? path.join(__dirname, "..", "..", ".lab", "lab", "inventory.json"));
  app.synth();
}
