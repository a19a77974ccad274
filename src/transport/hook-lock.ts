/**
 * The per-host hook lock: two working copies of one stack (two state files, so
 * Terraform's state lock cannot see both) must not run hooks on one host at
 * the same time, or one copy's sweep removes what the other is creating.
 *
 * Every hook of a stack on a host first takes the stack's lease in
 * `/run/hostnet/<stack>/`:
 * - `.owner` holds "<owner> <time> <description>": the working copy that ran a
 *   hook last (owner = checksum of the local machine's name and the directory
 *   Terraform runs in; description = both, when they are plain characters) and
 *   when (seconds of host uptime) it started or ended that hook.
 * - `.active` is share-locked (flock) by every running hook, so a long hook
 *   keeps its lease however long it takes.
 * - `.lock` is taken exclusively for the few instructions that read and write
 *   `.owner`, at a hook's start and at its end.
 * A hook of the owner goes on at once. A hook of another working copy takes
 * over only when no hook runs and the owner's last hook ended at least `lease`
 * seconds ago; until then it waits, saying so once, and after `wait` seconds
 * it fails naming the holder and the fix. The host's last hook (the stack's
 * destroy) removes the three files; a waiter that locked the removed `.lock`
 * notices (`-ef`) and starts again on the new one.
 *
 * The lock is part of the transport, not of the objects' scripts: the review
 * files (up.sh, down.sh) stay the objects' own commands, and a hook sent
 * without HN_LOCK (`hostnet check`) takes no lock.
 */

import { LEDGER_ROOT } from "../render/common";

/** Default seconds a working copy keeps a host after its last hook there. */
export const DEFAULT_LOCK_LEASE = 30;
/** Default seconds a hook waits for another working copy's lease before failing. */
export const DEFAULT_LOCK_WAIT = 600;

/**
 * Runs on the host (sh), before the hook's script, with these variables set by
 * the transport: hn_lock (the stack's directory), hn_owner (digits),
 * hn_desc (plain characters), hn_lease, hn_wait (digits).
 */
export const HOST_LOCK_PRELUDE = [
  'command -v flock >/dev/null || { echo "hostnet: flock is missing on this host: install util-linux, or turn the hook lock off (Host prop hookLock: false)" >&2; exit 1; }',
  "hn_now() { read -r hn_t hn_x < /proc/uptime; hn_t=${hn_t%%.*}; }",
  // A ledger that cannot be written is no reason to wait: fail at once, with the
  // system's own words (a subshell, on this failing path only).
  'hn_fail() { echo "hostnet: cannot $1 on this host ($2). hostnet keeps its ledger and hook lock in ' +
    LEDGER_ROOT +
    ': make it a writable directory (is the file system read-only?) and run again." >&2; exit 73; }',
  // The usual case, one flock: this copy owns the host. A shared lock on
  // .active (the file at its path, not one the stack's last hook removed) while
  // .owner names this copy: no other copy can take the host over while it is
  // held, since that needs .active exclusively; so no .lock. The hook's start is
  // written in place (`1<>`, never truncated: a reader sees the old line or the
  // new one, the same but for the time). Anything else takes the loop below.
  "hn_go=0",
  'if [ -f "$hn_lock/.owner" ] && { command exec 7>>"$hn_lock/.active"; } 2>/dev/null; then',
  '  if flock -n -s 7 && [ "$hn_lock/.active" -ef /proc/self/fd/7 ] && { read -r hn_cur hn_ts hn_cdesc < "$hn_lock/.owner"; } 2>/dev/null && [ "$hn_cur" = "$hn_owner" ] && ' +
    'hn_now && { printf \'%s %s %s\\n\' "$hn_owner" "$hn_t" "$hn_desc" 1<>"$hn_lock/.owner"; } 2>/dev/null; then hn_go=1; else exec 7>&-; fi',
  "fi",
  'if [ "$hn_go" = 0 ]; then',
  "hn_now; hn_t0=$hn_t; hn_said=0; hn_next=$((hn_t + 10))",
  // The session's end. sshd holds the read end of this shell's stdout and closes
  // it when the session is gone (the local ssh or terraform killed); it sends no
  // signal, so a waiting loop would run until its deadline. Look for that read
  // end among the parent's descriptors (builtins only); where they cannot be
  // read, the loop still notices at its next line on stdout (EPIPE).
  'hn_out=; for hn_f in /proc/$PPID/fd/*; do [ ! "$hn_f" -ef /proc/$$/fd/1 ] || { hn_out=$hn_f; break; }; done 2>/dev/null',
  "while :; do",
  '  [ -d "$hn_lock" ] || { hn_e=$(mkdir -p "$hn_lock" 2>&1) || [ -d "$hn_lock" ] || hn_fail "create the hook lock\'s directory $hn_lock" "$hn_e"; }',
  // Fails when the stack's last hook has just removed the directory (try again),
  // or for good: a read-only file system, no permission, not a file.
  '  if ! { command exec 8>>"$hn_lock/.lock"; } 2>/dev/null && [ -d "$hn_lock" ]; then',
  '    hn_e=$( { command exec 8>>"$hn_lock/.lock"; } 2>&1 ) || hn_fail "open the hook lock $hn_lock/.lock" "$hn_e"',
  '    command exec 8>>"$hn_lock/.lock" || true',
  "  fi",
  // The stack's last hook may have removed the file this descriptor locked.
  '  if [ "$hn_lock/.lock" -ef /proc/self/fd/8 ] && flock -x 8 && [ "$hn_lock/.lock" -ef /proc/self/fd/8 ]; then',
  "    hn_cur=; hn_ts=0; hn_cdesc=",
  '    [ ! -f "$hn_lock/.owner" ] || read -r hn_cur hn_ts hn_cdesc < "$hn_lock/.owner" || true',
  "    hn_now",
  '    { command exec 7>>"$hn_lock/.active"; } 2>/dev/null || { hn_e=$( { command exec 7>>"$hn_lock/.active"; } 2>&1 ) || hn_fail "open the ' +
    'hook lock $hn_lock/.active" "$hn_e"; command exec 7>>"$hn_lock/.active"; }',
  '    if [ "$hn_cur" = "$hn_owner" ] || { { [ -z "$hn_cur" ] || [ $((hn_t - hn_ts)) -ge "$hn_lease" ]; } && flock -n -x 7; }; then',
  '      { printf \'%s %s %s\\n\' "$hn_owner" "$hn_t" "$hn_desc" > "$hn_lock/.owner"; } 2>/dev/null || { hn_e=$( { : > "$hn_lock/.owner"; } 2>&1 ) || hn_fail "write $hn_lock/.owner" "$hn_e"; }',
  "      flock -s 7",
  "      exec 8>&-",
  "      break",
  "    fi",
  "    exec 7>&-",
  "  fi",
  "  exec 8>&-",
  "  hn_now",
  '  [ -z "$hn_out" ] || [ "$hn_out" -ef /proc/$$/fd/1 ] || exit 1',
  '  if [ $((hn_t - hn_t0)) -ge "$hn_wait" ]; then',
  '    echo "hostnet: gave up after ${hn_wait}s: another working copy of this stack ($hn_cdesc) is running hooks on this host (lock ' +
    "$hn_lock). Let its deploy finish and run again; if none is running (a crashed run), the lease ends ${hn_lease}s after its last hook, " +
    'or remove $hn_lock/.owner." >&2',
  "    exit 75",
  "  fi",
  '  [ "$hn_said" = 1 ] || { echo "hostnet: waiting: another working copy of this stack ($hn_cdesc) is running hooks on this host; its ' +
    'lease ends ${hn_lease}s after its last hook (waiting up to ${hn_wait}s)" >&2; hn_said=1; }',
  // A line on stdout now and then: if terraform is gone, ssh fails to write it,
  // tells the host (eow), and the next line here fails too.
  '  [ "$hn_t" -lt "$hn_next" ] || { hn_next=$((hn_t + 10)); echo "hostnet: still waiting for the other working copy ($((hn_t - hn_t0))s of ${hn_wait}s)" || exit 1; }',
  "  sleep 1",
  "done",
  "fi",
  // The lease counts from the end of the owner's last hook. Written while this
  // hook still holds .active shared, and only when .active is still the file at
  // its path and .owner still names this copy: then no other copy can have
  // taken the host over (that needs .active exclusively; after the stack's last
  // hook removed the files, another copy's .active is another file). In place
  // (`1<>`), so a hook reading .owner never finds it empty (a truncating
  // rewrite outside .lock once made one read it empty and stall).
  "trap 'hn_rc=$?",
  '  if [ "$hn_lock/.active" -ef /proc/self/fd/7 ] && { read -r hn_cur hn_x < "$hn_lock/.owner"; } 2>/dev/null && [ "$hn_cur" = "$hn_owner" ]; then',
  '    hn_now; { printf "%s %s %s\\n" "$hn_owner" "$hn_t" "$hn_desc" 1<>"$hn_lock/.owner"; } 2>/dev/null || true',
  "  fi",
  "  exit $hn_rc' EXIT",
].join("\n");

// CRC-32 table of POSIX cksum (polynomial 0x04C11DB7, most significant bit first).
const CKSUM_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let i = 0; i < 256; i++) {
    let c = i << 24;
    for (let k = 0; k < 8; k++) c = c & 0x80000000 ? (c << 1) ^ 0x04c11db7 : c << 1;
    t[i] = c >>> 0;
  }
  return t;
})();

/** What POSIX `cksum` prints first for these bytes: the CRC of the bytes followed by their length. */
export function posixCksum(data: Uint8Array): number {
  let crc = 0;
  const step = (b: number) => {
    crc = ((crc << 8) ^ CKSUM_TABLE[((crc >>> 24) ^ b) & 0xff]) >>> 0;
  };
  for (const b of data) step(b);
  for (let n = data.length; n > 0; n = Math.floor(n / 256)) step(n & 0xff);
  return ~crc >>> 0;
}

/**
 * HN_COPY for the hooks Terraform runs in `dir`: "<machine name>:<directory>
 * <owner>", where owner is the checksum the transport would otherwise compute
 * with `cksum` on every hook (one process per hook less). The transport uses it
 * only when the name and directory are its own; otherwise it computes the
 * checksum itself. `directory` is the real path, which is the PWD the hook's
 * shell gets when Terraform is started with PWD set to it (terraformEnv).
 */
export function copyOwner(dir: string, hostname: string): { HN_COPY: string; PWD: string } {
  const id = `${hostname}:${dir}`;
  return { HN_COPY: `${id} ${posixCksum(Buffer.from(id, "utf8"))}`, PWD: dir };
}
