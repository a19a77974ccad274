import * as path from "path";
import { labRoot } from "../transport/inventory";

// Where the CLI finds an inventory when given none is not lab tooling: it lives with the inventory reader.
export { defaultInventoryPath, labRoot } from "../transport/inventory";

/** Files of one lab under `<dir>/<lab>/`. All paths are absolute. */
export interface LabFiles {
  readonly dir: string;
  readonly inventory: string;
  /** Client private key (ed25519, no passphrase), authorized on every host. */
  readonly identityFile: string;
  readonly publicKey: string;
  readonly authorizedKeys: string;
  readonly knownHosts: string;
  hostDir(host: string): string;
  sshdConfig(host: string): string;
  hostKey(host: string): string;
  pidFile(host: string): string;
  sshdLog(host: string): string;
}

/** Paths of a lab's files. */
export function labFiles(lab: string, dir?: string): LabFiles {
  return labFilesAt(path.join(labRoot(dir), lab));
}

/** Paths of the files of the lab whose directory is `labDir` (as in `Inventory.dir`). */
export function labFilesAt(labDir: string): LabFiles {
  const root = path.resolve(labDir);
  const hostDir = (host: string) => path.join(root, "hosts", host);
  return {
    dir: root,
    inventory: path.join(root, "inventory.json"),
    identityFile: path.join(root, "id_ed25519"),
    publicKey: path.join(root, "id_ed25519.pub"),
    authorizedKeys: path.join(root, "authorized_keys"),
    knownHosts: path.join(root, "known_hosts"),
    hostDir,
    sshdConfig: (h) => path.join(hostDir(h), "sshd_config"),
    hostKey: (h) => path.join(hostDir(h), "ssh_host_ed25519_key"),
    pidFile: (h) => path.join(hostDir(h), "sshd.pid"),
    sshdLog: (h) => path.join(hostDir(h), "sshd.log"),
  };
}
