/**
 * How a hook reaches its host: Terraform's local-exec runs one fixed sh snippet
 * (the same text for every resource) with the values in `environment`; the
 * script goes to the host on ssh's stdin (`sh -s`), never spliced into a command
 * line, so it is parsed by exactly one shell: the host's.
 *
 * OpenSSH rather than Terraform's own SSH client: it pins host keys against a
 * known_hosts file (StrictHostKeyChecking=yes), and shares one connection per
 * host between hooks (ControlMaster), which turns a ~0.35 s handshake per hook
 * into ~0.1 s.
 */
import { LEDGER_ROOT } from "../render/common";
import { shq } from "../render/quote";
import { HOST_LOCK_PRELUDE } from "./hook-lock";

export interface SshTarget {
  readonly address: string;
  readonly port: number;
  readonly user: string;
  readonly identityFile?: string;
  /** known_hosts file to check the host key against. */
  readonly knownHostsFile?: string;
  /** Pinned public host key ("ssh-ed25519 AAAA..."), written to a known_hosts file by the hook. */
  readonly hostKey?: string;
  /** Accept any host key (explicit opt-out of pinning). */
  readonly insecureIgnoreHostKey?: boolean;
  readonly jump?: { readonly address: string; readonly port: number; readonly user: string };
}

/** Seconds an idle shared connection stays up after the last hook. */
export const CONTROL_PERSIST = 60;

export const HOOK_COMMAND = [
  "set -eu",
  // The control socket directory must be private: whoever can open the socket can run commands on the host.
  'd="${HOSTNET_SSH_DIR:-/tmp/hostnet-ssh-$(id -u)}"',
  '[ -d "$d" ] || mkdir -p -m 700 "$d"',
  '[ -O "$d" ] && [ "$(stat -c %a "$d")" = 700 ] || { echo "hostnet: $d must be a directory of $(id -un) with mode 0700" >&2; exit 1; }',
  'kh="$HN_KNOWN_HOSTS"',
  'if [ -n "$HN_HOST_KEY" ]; then',
  '  kh="$d/known_hosts.$HN_ADDRESS.$HN_PORT"',
  '  if [ "$HN_PORT" = 22 ]; then p="$HN_ADDRESS"; else p="[$HN_ADDRESS]:$HN_PORT"; fi',
  // Rewritten only when it differs: `read` is a builtin, a rewrite costs a process.
  '  { read -r l < "$kh" && [ "$l" = "$p $HN_HOST_KEY" ]; } 2>/dev/null || { printf \'%s %s\\n\' "$p" "$HN_HOST_KEY" > "$kh.$$" && mv -f "$kh.$$" "$kh"; }',
  'fi',
  'set -- -F /dev/null -o BatchMode=yes -o StrictHostKeyChecking="$HN_STRICT" -o UserKnownHostsFile="$kh" -o GlobalKnownHostsFile=/dev/null -o ConnectTimeout=10 -o ServerAliveInterval=5 -o ServerAliveCountMax=3 -o LogLevel=ERROR -o ControlPath="$d/%C" -p "$HN_PORT" -l "$HN_USER"',
  '[ -z "$HN_IDENTITY" ] || set -- "$@" -o IdentitiesOnly=yes -i "$HN_IDENTITY"',
  '[ -z "$HN_PROXY" ] || set -- "$@" -o ProxyCommand="$HN_PROXY"',
  // Fast path, no process started: the master recorded "<pid> <socket>" when it
  // came up, and that ssh process (alive: not a zombie) and its socket are still there.
  'm="$d/master.$HN_ADDRESS.$HN_PORT"',
  'up() { read -r mp ms < "$m.pid" && [ -S "$ms" ] && read -r st < "/proc/$mp/stat" && case "$st" in "$mp (ssh) "[!ZX]*) ;; *) false ;; esac; } 2>/dev/null',
  // Otherwise one master per host, started under a lock, detached with every
  // descriptor closed so this hook does not wait ControlPersist seconds for it. A
  // socket that fails the check is stale (its master died): remove it so a new
  // master can bind.
  'if ! up; then',
  '  exec 9>"$d/lock.$HN_ADDRESS.$HN_PORT"; flock -w 30 9 || true',
  '  if ! up; then',
  '    s=$(ssh "$@" -G "$HN_ADDRESS" 2>/dev/null | sed -n \'s/^controlpath //p\')',
  '    if ! ssh "$@" -O check "$HN_ADDRESS" 2>/dev/null; then',
  '      rm -f "$s"',
  `      ssh "$@" -o ControlMaster=yes -o ControlPersist=${CONTROL_PERSIST} -f -N "$HN_ADDRESS" 9>&- </dev/null >/dev/null 2>"$m.log" || true`,
  '    fi',
  // "Master running (pid=123)" on stderr.
  '    mp=$(ssh "$@" -O check "$HN_ADDRESS" 2>&1 | sed -n \'s/^Master running (pid=\\([0-9]*\\)).*/\\1/p\') || true',
  '    if [ -n "$mp" ] && [ -n "$s" ]; then echo "$mp $s" > "$m.pid.$$" && mv -f "$m.pid.$$" "$m.pid"; fi',
  '  fi',
  '  exec 9>&-',
  'fi',
  // The per-host hook lock (src/transport/hook-lock.ts), sent ahead of the
  // script. This working copy is named by the checksum of this machine's name
  // and the directory Terraform runs in (or by its shared state); its values are digits or plain characters.
  'pre=',
  'if [ -n "${HN_STACK:-}" ]; then',
  '  for v in "$HN_STACK" "$HN_LOCK_LEASE" "$HN_LOCK_WAIT"; do case "$v" in ""|*[!A-Za-z0-9_-]*) echo "hostnet: bad HN_STACK, HN_LOCK_LEASE or HN_LOCK_WAIT: $v" >&2; exit 2 ;; esac; done',
  '  case "$HN_LOCK_LEASE$HN_LOCK_WAIT" in *[!0-9]*) echo "hostnet: HN_LOCK_LEASE and HN_LOCK_WAIT must be whole seconds" >&2; exit 2 ;; esac',
  '  { read -r hn_h < /proc/sys/kernel/hostname; } 2>/dev/null || hn_h=unknown',
  '  o=$(printf \'%s:%s\' "$hn_h" "$PWD" | cksum); o=${o%% *}',
  '  case "$hn_h:$PWD" in *[!A-Za-z0-9_./:-]*) od="copy-$o" ;; *) od="$hn_h:$PWD" ;; esac',
  // Working copies sharing one Terraform state (HN_LOCK_OWNER, from the stack's pgBackend) are one owner.
  '  case "${HN_LOCK_OWNER:-}" in "") ;; *[!A-Za-z0-9_-]*) echo "hostnet: bad HN_LOCK_OWNER: $HN_LOCK_OWNER" >&2; exit 2 ;; *) o="$HN_LOCK_OWNER"; od="shared-state-$o" ;; esac',
  `  pre="hn_lock=${LEDGER_ROOT}/$HN_STACK hn_owner=$o hn_desc=$od hn_lease=$HN_LOCK_LEASE hn_wait=$HN_LOCK_WAIT"`,
  `  pre="$pre"${shq("\n" + HOST_LOCK_PRELUDE)}`,
  'fi',
  // Without a working master this connects directly and reports the real error.
  'rc=0; printf \'%s\\n%s\\n\' "$pre" "$HN_SCRIPT" | ssh "$@" -o ControlMaster=no -T "$HN_ADDRESS" sh -s || rc=$?',
  'if [ "$rc" != 0 ]; then echo "hostnet: $HN_OP of $HN_PATH failed on $HN_USER@$HN_ADDRESS:$HN_PORT (exit $rc); the output above is from the host" >&2; exit "$rc"; fi',
].join("\n");

/** The fixed values of a host, passed as literal environment (not stored in Terraform state). */
export function sshEnvironment(t: SshTarget): Record<string, string> {
  const pinned = !t.insecureIgnoreHostKey;
  return {
    HN_USER: t.user,
    HN_IDENTITY: t.identityFile ?? "",
    HN_KNOWN_HOSTS: pinned ? t.knownHostsFile ?? "" : "/dev/null",
    HN_HOST_KEY: pinned ? t.hostKey ?? "" : "",
    HN_STRICT: pinned ? "yes" : "no",
    HN_PROXY: t.jump ? proxyCommand(t) : "",
  };
}

/** ProxyCommand for a jump host: the same pinning and identity as the target (values are validated, so safe to join). */
export function proxyCommand(t: SshTarget): string {
  const j = t.jump!;
  const pinned = !t.insecureIgnoreHostKey;
  const words = [
    "ssh", "-F", "/dev/null", "-o", "BatchMode=yes",
    "-o", `StrictHostKeyChecking=${pinned ? "yes" : "no"}`,
    "-o", `UserKnownHostsFile=${pinned ? t.knownHostsFile ?? "/dev/null" : "/dev/null"}`,
    "-o", "ConnectTimeout=10",
    ...(t.identityFile ? ["-o", "IdentitiesOnly=yes", "-i", t.identityFile] : []),
    "-p", String(j.port), "-l", j.user, "-W", "%h:%p", j.address,
  ];
  return words.map(shq).join(" ");
}
