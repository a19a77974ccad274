/**
 * How a hook reaches its host: Terraform's local-exec runs one fixed sh snippet
 * (the same text for every resource) with the values in `environment`; the
 * script goes to the host on ssh's stdin (`sh -s`), never spliced into a command
 * line, so it is parsed by exactly one shell: the host's.
 *
 * OpenSSH rather than Terraform's own SSH client: it pins host keys against a
 * known_hosts file (StrictHostKeyChecking=yes), and shares one connection per
 * host and trust decision (sshTrust) between hooks (ControlMaster), which turns
 * a ~0.35 s handshake per hook into ~0.1 s.
 *
 * When ssh itself fails (refused, timeout, host key mismatch, connection lost
 * mid-hook), the hook's last line is `hostnet: <op> of <path> failed on
 * <user>@<address>:<port> (exit 255): ssh: <ssh's own reason>` (an IPv6 address in
 * brackets: `root@[fd00::10]:22`); when the script
 * ran and failed on the host, `... (exit <n>); the output above is from the host`.
 */
import { createHash } from "crypto";
import { LEDGER_ROOT } from "../render/common";
import { shq } from "../render/quote";
import { HOST_LOCK_PRELUDE } from "./hook-lock";

/** Folder beside cdk.tf.json with the hooks' scripts (src/plan/hook-resource.ts writes it). */
export const SCRIPTS_DIR = "hostnet-scripts";

/**
 * Runs on the host before a destroy, with hn_l (the object's ledger entry),
 * hn_h (the destroy script's sha256 in Terraform's state) and hn_local (1: the
 * file of that hash was beside cdk.tf.json and its text follows this one). Why
 * this order:
 * - The ledger entry, when it hashes to hn_h: it is what the create stored
 *   before it changed anything, and it is there for an object that was
 *   replaced or changed since (whose script the new synthesis no longer has).
 * - An entry with another hash belongs to another version of this object (a
 *   create whose undo failed, a hand edit): nothing runs, and the destroy fails
 *   naming it, so no foreign object is removed and no record is lost.
 * - No entry: the create writes it before it changes anything and the destroy
 *   removes it last, so nothing of this object is there, unless /run was
 *   emptied while the objects stayed. A restart takes the links, namespaces,
 *   routes and rules with /run; a hand-removed ledger does not, so the local
 *   copy (hash checked), when present, runs: destroy scripts remove only what
 *   carries the object's tag and succeed when it is gone. Without one the
 *   destroy says so and succeeds.
 */
export const DESTROY_RUNNER = [
  'if [ -f "$hn_l" ]; then',
  '  command -v sha256sum >/dev/null || { echo "hostnet: sha256sum is missing on this host (install coreutils): cannot check the ledger entry $hn_l" >&2; exit 1; }',
  '  hn_s=$(sha256sum < "$hn_l"); hn_s=${hn_s%% *}',
  // Sourced, not `sh`: no process; its `set -e` ends this shell with the failing status, and nothing runs after it.
  '  if [ "$hn_s" = "$hn_h" ]; then . "$hn_l" </dev/null; exit; fi',
  "  echo \"hostnet: the ledger entry $hn_l holds another destroy script (sha256 $hn_s) than Terraform's state names ($hn_h): " +
    'another version of this object wrote it. Nothing was removed. Read it; run it (sh $hn_l) or delete it, then run again." >&2',
  "  exit 1",
  "fi",
  'if [ "$hn_local" = 1 ]; then',
  '  echo "hostnet: no ledger entry $hn_l on this host; running the destroy script kept beside cdk.tf.json" >&2',
  "else",
  '  echo "hostnet: no ledger entry $hn_l on this host, and no copy of its destroy script beside cdk.tf.json: ' +
    'nothing to remove (its destroy already ran, or the host restarted and lost /run with the objects)" >&2',
  "  exit 0",
  "fi",
].join("\n");

export interface SshTarget {
  /** DNS name, IPv4 address or IPv6 address (bare, canonical: toSshTarget writes it so). */
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
  // The effective uid from /proc (a builtin read; `id -u` where /proc cannot be read).
  'if [ -n "${HOSTNET_SSH_DIR:-}" ]; then d=$HOSTNET_SSH_DIR; else',
  '  u=; { while read -r f a b x; do [ "$f" != Uid: ] || { u=$b; break; }; done < /proc/self/status; } 2>/dev/null || true',
  '  case "$u" in ""|*[!0-9]*) u=$(id -u) ;; esac; d=/tmp/hostnet-ssh-$u',
  "fi",
  '[ -d "$d" ] || mkdir -p -m 700 "$d"',
  // Its owner on every hook (a test builtin); its mode (a process) whenever a master is
  // started below: only its owner or root can change the mode of a directory it owns.
  'nd() { echo "hostnet: $d must be a directory of $(id -un) with mode 0700" >&2; exit 1; }',
  '[ -O "$d" ] || nd',
  // The trust decision (sshTrust): computed at synth, so it costs no process here;
  // only an environment without it (a hand-run hook) pays one cksum.
  'case "${HN_TRUST:-}" in',
  '  "") HN_TRUST=$(printf \'%s\\n\' "$HN_USER" "$HN_IDENTITY" "$HN_KNOWN_HOSTS" "$HN_HOST_KEY" "$HN_STRICT" "$HN_PROXY" | cksum); HN_TRUST=${HN_TRUST%% *} ;;',
  '  *[!0-9a-f]*) echo "hostnet: bad HN_TRUST: $HN_TRUST" >&2; exit 2 ;;',
  "esac",
  // Everything of one connection is named by address, port and trust, so a
  // hook never uses a connection (or a pinned key file) made with other settings.
  'k="$HN_ADDRESS.$HN_PORT.$HN_TRUST"',
  // Address and port for messages: an IPv6 address in brackets, as ssh and known_hosts write it.
  'case "$HN_ADDRESS" in *:*) hp="[$HN_ADDRESS]:$HN_PORT" ;; *) hp="$HN_ADDRESS:$HN_PORT" ;; esac',
  'kh="$HN_KNOWN_HOSTS"',
  'if [ -n "$HN_HOST_KEY" ]; then',
  '  kh="$d/known_hosts.$k"',
  // known_hosts names a host on port 22 bare ("fd00::10"), on another port as "[fd00::10]:2222".
  '  if [ "$HN_PORT" = 22 ]; then p="$HN_ADDRESS"; else p="[$HN_ADDRESS]:$HN_PORT"; fi',
  // Rewritten only when it differs: `read` is a builtin, a rewrite costs a process.
  '  { read -r l < "$kh" && [ "$l" = "$p $HN_HOST_KEY" ]; } 2>/dev/null || { printf \'%s %s\\n\' "$p" "$HN_HOST_KEY" > "$kh.$$" && mv -f "$kh.$$" "$kh"; }',
  "fi",
  // The trust hashes user, identity, keys, strictness and jump host; with address and port that is
  // the whole trust decision. Not %C (40 hex digits): a Unix socket path has 107 bytes, and ssh adds
  // 17 while it binds, so a longer HOSTNET_SSH_DIR would not fit.
  'set -- -F /dev/null -o BatchMode=yes -o StrictHostKeyChecking="$HN_STRICT" -o UserKnownHostsFile="$kh" -o GlobalKnownHostsFile=/dev/null ' +
    '-o ConnectTimeout=10 -o ServerAliveInterval=5 -o ServerAliveCountMax=3 -o LogLevel=ERROR -o ControlPath="$d/$HN_TRUST.%h.%p" -p ' +
    '"$HN_PORT" -l "$HN_USER"',
  '[ -z "$HN_IDENTITY" ] || set -- "$@" -o IdentitiesOnly=yes -i "$HN_IDENTITY"',
  '[ -z "$HN_PROXY" ] || set -- "$@" -o ProxyCommand="$HN_PROXY"',
  // Fast path, no process started: the master recorded "<pid> <socket>" when it
  // came up, and that ssh process (alive: not a zombie) and its socket are still
  // there, the identity file is still readable and the known_hosts file has not
  // changed since (its content decided the master's trust).
  'm="$d/master.$k"',
  'up() { read -r mp ms < "$m" && [ -S "$ms" ] && read -r st < "/proc/$mp/stat" && case "$st" in "$mp (ssh) "[!ZX]*) ;; *) false ;; esac && ' +
    '{ [ -z "$HN_IDENTITY" ] || [ -r "$HN_IDENTITY" ]; } && case "$HN_KNOWN_HOSTS" in ""|/dev/null) ;; *) [ ! "$HN_KNOWN_HOSTS" -nt "$m" ] ' +
    ";; esac; } 2>/dev/null",
  // The last line ssh wrote to the master's log (its reason for failing), the lines before it echoed.
  'why() { r=; [ -r "$m.log" ] || return 0; while IFS= read -r l; do [ -z "$l" ] || { [ -z "$r" ] || echo "$r" >&2; r=$l; }; done < "$m.log"; }',
  // Otherwise one master per connection, started under a lock, detached with every
  // descriptor closed so this hook does not wait ControlPersist seconds for it. A
  // master still answering there failed the checks (or lost its record): stop it
  // (its sessions finish) rather than reuse it; remove a stale socket so a new
  // master can bind. If no master comes up, ssh's reason is the hook's error.
  "if ! up; then",
  '  [ "$(stat -c %a "$d")" = 700 ] || nd',
  '  exec 9>"$d/lock.$k"; flock -w 30 9 || true',
  "  if ! up; then",
  '    s=$(ssh "$@" -G "$HN_ADDRESS" 2>/dev/null | sed -n \'s/^controlpath //p\')',
  '    ! ssh "$@" -O check "$HN_ADDRESS" 2>/dev/null || ssh "$@" -O stop "$HN_ADDRESS" 2>/dev/null || true',
  '    rm -f "$s" "$m"',
  // Its log (-E: a detached master's stderr is /dev/null) at LogLevel INFO (the
  // first value given wins): "Timeout, server ... not responding." is INFO.
  `    : > "$m.log"; ssh -o LogLevel=INFO -E "$m.log" "$@" -o ControlMaster=yes -o ControlPersist=${CONTROL_PERSIST} -f -N "$HN_ADDRESS" 9>&- </dev/null >/dev/null 2>>"$m.log" || true`,
  // "Master running (pid=123)" on stderr.
  '    mp=$(ssh "$@" -O check "$HN_ADDRESS" 2>&1 | sed -n \'s/^Master running (pid=\\([0-9]*\\)).*/\\1/p\') || true',
  '    if [ -z "$mp" ]; then why; r=${r#ssh: }; echo "hostnet: $HN_OP of $HN_PATH failed on $HN_USER@$hp (exit 255): ssh: ' +
    '${r:-no connection, and ssh gave no reason}" >&2; exit 255; fi',
  '    if [ -n "$s" ]; then echo "$mp $s" > "$m.$$" && mv -f "$m.$$" "$m"; fi',
  "  fi",
  "  exec 9>&-",
  "fi",
  // The per-host hook lock (src/transport/hook-lock.ts), sent ahead of the
  // script. This working copy is named by the checksum of this machine's name
  // and the directory Terraform runs in (or by its shared state); its values are digits or plain characters.
  "pre=",
  'if [ -n "${HN_STACK:-}" ]; then',
  '  for v in "$HN_STACK" "$HN_LOCK_LEASE" "$HN_LOCK_WAIT"; do case "$v" in ""|*[!A-Za-z0-9_-]*) echo "hostnet: bad HN_STACK, HN_LOCK_LEASE or HN_LOCK_WAIT: $v" >&2; exit 2 ;; esac; done',
  '  case "$HN_LOCK_LEASE$HN_LOCK_WAIT" in *[!0-9]*) echo "hostnet: HN_LOCK_LEASE and HN_LOCK_WAIT must be whole seconds" >&2; exit 2 ;; esac',
  "  { read -r hn_h < /proc/sys/kernel/hostname; } 2>/dev/null || hn_h=unknown",
  // hostnet deploy gives that checksum as HN_COPY ("<name>:<directory> <checksum>", see copyOwner), used when it names this copy.
  '  case "${HN_COPY:-}" in "$hn_h:$PWD "*) o=${HN_COPY##* } ;; *) o= ;; esac',
  '  case "$o" in ""|*[!0-9]*) o=$(printf \'%s:%s\' "$hn_h" "$PWD" | cksum); o=${o%% *} ;; esac',
  '  case "$hn_h:$PWD" in *[!A-Za-z0-9_./:-]*) od="copy-$o" ;; *) od="$hn_h:$PWD" ;; esac',
  // Working copies sharing one Terraform state (HN_LOCK_OWNER, from the stack's pgBackend) are one owner.
  '  case "${HN_LOCK_OWNER:-}" in "") ;; *[!A-Za-z0-9_-]*) echo "hostnet: bad HN_LOCK_OWNER: $HN_LOCK_OWNER" >&2; exit 2 ;; *) o="$HN_LOCK_OWNER"; od="shared-state-$o" ;; esac',
  `  pre="hn_lock=${LEDGER_ROOT}/$HN_STACK hn_owner=$o hn_desc=$od hn_lease=$HN_LOCK_LEASE hn_wait=$HN_LOCK_WAIT"`,
  `  pre="$pre"${shq("\n" + HOST_LOCK_PRELUDE)}`,
  "fi",
  // The script: with HN_SHA256 (the hash Terraform's state keeps, see HookState
  // in src/plan/hook-resource.ts) the text read from the file of that name must
  // hash to it, and a destroy with HN_LEDGER runs the host's ledger copy first
  // (DESTROY_RUNNER). Without HN_SHA256 (a state from before, the host's own
  // destroy, hostnet check) the text is sent as it is.
  "body=$HN_SCRIPT",
  'case "${HN_SHA256:-}" in',
  '  "") ;;',
  '  *[!0-9a-f]*) echo "hostnet: bad HN_SHA256: $HN_SHA256" >&2; exit 2 ;;',
  "  *)",
  '    [ "${#HN_SHA256}" = 64 ] || { echo "hostnet: bad HN_SHA256: $HN_SHA256" >&2; exit 2; }',
  '    if [ -n "$HN_SCRIPT" ]; then',
  // Terraform's filesha256() of the file it read the text from (HN_SCRIPT_SHA256), or sha256sum of the text.
  "      hs=${HN_SCRIPT_SHA256:-}",
  '      [ -n "$hs" ] || { hs=$(printf \'%s\' "$HN_SCRIPT" | sha256sum); hs=${hs%% *}; }',
  `      [ "$hs" = "$HN_SHA256" ] || { echo "hostnet: $HN_OP of $HN_PATH: the script file ${SCRIPTS_DIR}/$HN_SHA256.sh beside cdk.tf.json ` +
    'does not match its name (its sha256 is $hs): it changed after synthesis. Nothing was sent; synthesize again (hostnet deploy does) and do not edit these files." >&2; exit 1; }',
  "    fi",
  '    if [ "$HN_OP" = destroy ] && [ -n "${HN_LEDGER:-}" ]; then',
  '      case "$HN_LEDGER" in /*.down) ;; *) echo "hostnet: bad HN_LEDGER: $HN_LEDGER" >&2; exit 2 ;; esac',
  '      case "$HN_LEDGER" in *[!A-Za-z0-9_./-]*|*..*) echo "hostnet: bad HN_LEDGER: $HN_LEDGER" >&2; exit 2 ;; esac',
  '      [ -n "$HN_SCRIPT" ] && hl=1 || hl=0',
  `      body="hn_l=$HN_LEDGER hn_h=$HN_SHA256 hn_local=$hl"${shq("\n" + DESTROY_RUNNER)}"`,
  '$HN_SCRIPT"',
  '    elif [ -z "$HN_SCRIPT" ]; then',
  `      echo "hostnet: $HN_OP of $HN_PATH: no script ${SCRIPTS_DIR}/$HN_SHA256.sh beside cdk.tf.json; synthesize again (hostnet deploy does)" >&2; exit 1`,
  "    fi ;;",
  "esac",
  'rc=0; printf \'%s\\n%s\\n\' "$pre" "$body" | ssh "$@" -o ControlMaster=no -T "$HN_ADDRESS" sh -s || rc=$?',
  'if [ "$rc" != 0 ]; then',
  // 255 with the master gone: the connection was lost, and the master's log says why.
  '  if [ "$rc" = 255 ] && ! up; then why; r=${r#ssh: }; echo "hostnet: $HN_OP of $HN_PATH failed on $HN_USER@$hp (exit ' +
    '255): ssh: ${r:-the connection to the host was lost}" >&2; exit 255; fi',
  '  echo "hostnet: $HN_OP of $HN_PATH failed on $HN_USER@$hp (exit $rc); the output above is from the host" >&2; exit "$rc"',
  "fi",
].join("\n");

/** "addr:port" as ssh and known_hosts write it: "[fd00::10]:22" for IPv6, "198.18.0.10:22" otherwise (for messages). */
export function hostPort(address: string, port: number): string {
  return String(address).includes(":") ? `[${address}]:${port}` : `${address}:${port}`;
}

/** The fixed values of a host, passed as literal environment (not stored in Terraform state). */
export function sshEnvironment(t: SshTarget): Record<string, string> {
  const pinned = !t.insecureIgnoreHostKey;
  const env = {
    HN_USER: t.user,
    HN_IDENTITY: t.identityFile ?? "",
    HN_KNOWN_HOSTS: pinned ? (t.knownHostsFile ?? "") : "/dev/null",
    HN_HOST_KEY: pinned ? (t.hostKey ?? "") : "",
    HN_STRICT: pinned ? "yes" : "no",
    HN_PROXY: t.jump ? proxyCommand(t) : "",
  };
  return { ...env, HN_TRUST: sshTrust(env) };
}

/**
 * The trust decision of a connection besides address and port (which the hook
 * adds itself: they come from the resource, these from the configuration):
 * user, identity file, known_hosts file, pinned key, strictness and jump host.
 * A shared connection (ControlMaster) is reused only by hooks with the same
 * address, port and trust, so a wrong pinned key, a missing identity file or
 * another user never rides on a connection that someone else's settings made.
 * 16 hex digits, to keep the control socket's path under the 108 bytes of a
 * Unix socket; computed here once, so the hook spends no process on it.
 */
export function sshTrust(env: {
  HN_USER: string;
  HN_IDENTITY: string;
  HN_KNOWN_HOSTS: string;
  HN_HOST_KEY: string;
  HN_STRICT: string;
  HN_PROXY: string;
}): string {
  const fields = [env.HN_USER, env.HN_IDENTITY, env.HN_KNOWN_HOSTS, env.HN_HOST_KEY, env.HN_STRICT, env.HN_PROXY];
  return createHash("sha256").update(JSON.stringify(fields)).digest("hex").slice(0, 16);
}

/**
 * ProxyCommand for a jump host: the same pinning and identity as the target (values are validated, so safe to join).
 * `-W` reads "host:port", so an IPv6 target goes in brackets ("[%h]:%p"); the jump host itself is
 * ssh's destination argument, which takes a bare IPv6 address.
 */
export function proxyCommand(t: SshTarget): string {
  const j = t.jump!;
  const pinned = !t.insecureIgnoreHostKey;
  const words = [
    "ssh",
    "-F",
    "/dev/null",
    "-o",
    "BatchMode=yes",
    "-o",
    `StrictHostKeyChecking=${pinned ? "yes" : "no"}`,
    "-o",
    `UserKnownHostsFile=${pinned ? (t.knownHostsFile ?? "/dev/null") : "/dev/null"}`,
    "-o",
    "ConnectTimeout=10",
    ...(t.identityFile ? ["-o", "IdentitiesOnly=yes", "-i", t.identityFile] : []),
    "-p",
    String(j.port),
    "-l",
    j.user,
    "-W",
    t.address.includes(":") ? "[%h]:%p" : "%h:%p",
    j.address,
  ];
  return words.map(shq).join(" ");
}
