import * as path from "path";

/**
 * The environment Terraform gives a hook's local-exec, for running the transport
 * (HOOK_COMMAND) against a fake `ssh` in `bin`: host 198.18.0.2:22 as root, no
 * key pinning, control sockets under `dir`/ssh. `extra` adds or overrides.
 */
export function hookEnv(dir: string, bin: string, hookPath: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    PATH: `${bin}:${process.env.PATH}`,
    HOSTNET_SSH_DIR: path.join(dir, "ssh"),
    HN_ADDRESS: "198.18.0.2",
    HN_PORT: "22",
    HN_USER: "root",
    HN_IDENTITY: "",
    HN_KNOWN_HOSTS: "/dev/null",
    HN_HOST_KEY: "",
    HN_STRICT: "no",
    HN_PROXY: "",
    HN_OP: "create",
    HN_PATH: hookPath,
    ...extra,
  };
}
