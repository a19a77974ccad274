/**
 * A stand-in host for running rendered hook scripts in unit tests, without root
 * and without touching the machine: `ip`, `iptables` and `sysctl` are small sh
 * fakes on PATH that keep links, namespaces, rules and sysctls as files in a temp
 * directory, and the on-host paths (/run/hostnet, /run/netns) are rewritten to
 * folders of that directory. Every call of a fake is logged, one line each.
 */
import { execFileSync, spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

/** Run `sh -n` (or `bash -n`) on a script; returns the shell's complaint, or "" when it parses. */
export function syntaxErrors(script: string, shell: "sh" | "bash" = "sh"): string {
  const r = spawnSync(shell, ["-n"], { input: script, encoding: "utf8" });
  return r.status === 0 ? "" : `${shell} -n exited ${r.status}: ${r.stderr}`;
}

/** Print each word through `printf '%s\0'` in a real shell and return the words it received. */
export function wordsSeenByShell(commandLine: string, shell = "/bin/sh"): string[] {
  const out = execFileSync(shell, ["-c", `printf '%s\\0' ${commandLine}`]);
  const words = out.toString("utf8").split("\0");
  words.pop();
  return words;
}

// Links: links/<ns|root>/<name> holds the alias; a veth also has <name>.peer ("<ns> <name>").
// -batch -: each stdin line as its own command (logged as "batch: <line>"), stopping at the first that fails, as ip does.
const FAKE_IP = String.raw`#!/bin/sh
if [ -n "$HN_BATCH" ]; then echo "batch: $*" >> "$HN_T/log"; else echo "ip $*" >> "$HN_T/log"; fi
ns=root
if [ "$1" = -n ]; then ns=$2; shift 2; [ -e "$HN_T/netns/$ns" ] || { echo "Cannot open network namespace \"$ns\"" >&2; exit 1; }; fi
if [ "$1 $2" = "-batch -" ]; then
  n=0
  while IFS= read -r l; do
    n=$((n + 1))
    if [ "$ns" = root ]; then set -- $l; else set -- -n "$ns" $l; fi
    HN_BATCH=1 "$0" "$@" || { echo "Command failed -:$n" >&2; exit 1; }
  done
  exit 0
fi
# -o: one line per link, its lines joined by a backslash (as ip -o prints them).
o=; if [ "$1" = -o ]; then o=1; shift; fi
d="$HN_T/links/$ns"
mkdir -p "$d"
case "$1 $2" in
  "link show")
    [ -f "$d/$4" ] || { echo "Device \"$4\" does not exist." >&2; exit 1; }
    a=$(cat "$d/$4")
    {
      echo "7: $4: <BROADCAST,MULTICAST> mtu 1500 qdisc noop state DOWN mode DEFAULT group default qlen 1000"
      echo "    link/ether 02:00:00:00:00:01 brd ff:ff:ff:ff:ff:ff"
      [ -z "$a" ] || echo "    alias $a"
    } | if [ -n "$o" ]; then awk '{ printf "%s%s", (NR > 1 ? "\\" : ""), $0 } END { print "" }'; else cat; fi ;;
  "link add")
    shift 2; a=$2; ans=$ns; shift 2
    if [ "$1" = address ]; then shift 2; fi
    if [ "$1" = netns ]; then ans=$2; shift 2; fi
    t=$2; shift 2
    b=; bns=$ns
    if [ "$t" = veth ]; then b=$3; shift 3; if [ "$1" = netns ]; then bns=$2; fi; fi
    # As the kernel: a name that is taken in its namespace fails the add, and nothing is made.
    if [ -f "$HN_T/links/$ans/$a" ] || { [ -n "$b" ] && [ -f "$HN_T/links/$bns/$b" ]; }; then echo "RTNETLINK answers: File exists" >&2; exit 2; fi
    mkdir -p "$HN_T/links/$ans"; : > "$HN_T/links/$ans/$a"
    if [ "$t" = veth ]; then
      mkdir -p "$HN_T/links/$bns"; : > "$HN_T/links/$bns/$b"
      echo "$bns $b" > "$HN_T/links/$ans/$a.peer"; echo "$ans $a" > "$HN_T/links/$bns/$b.peer"
    fi ;;
  "link set")
    [ -f "$d/$4" ] || { echo "Cannot find device \"$4\"" >&2; exit 1; }
    if [ "$5" = alias ]; then printf '%s' "$6" > "$d/$4"; fi ;;
  "link del")
    [ -f "$d/$4" ] || { echo "Cannot find device \"$4\"" >&2; exit 1; }
    if [ -f "$d/$4.peer" ]; then read -r pns pn < "$d/$4.peer"; rm -f "$HN_T/links/$pns/$pn" "$HN_T/links/$pns/$pn.peer"; fi
    rm -f "$d/$4" "$d/$4.peer" ;;
  "netns add") mkdir -p "$HN_T/netns" "$HN_T/links/$3"; [ ! -e "$HN_T/netns/$3" ] || exit 1; : > "$HN_T/netns/$3"; : > "$HN_T/links/$3/lo" ;;
  "netns del") rm -f "$HN_T/netns/$3"; rm -rf "$HN_T/links/$3" ;;
  "netns pids") ;;
  "netns exec") [ -e "$HN_T/netns/$3" ] || exit 1; shift 3; exec "$@" ;;
  "addr replace") ;;
  "route show") ;;
  "route replace") ;;
  "route del") ;;
  *) echo "fake ip: unexpected: $*" >&2; exit 2 ;;
esac
`;

// Rules: one line "<table> <chain> <spec...>" per rule in the file "rules".
const FAKE_IPTABLES = String.raw`#!/bin/sh
echo "iptables $*" >> "$HN_T/log"
[ "$1" = -w ] && shift
[ "$1" = -t ] || { echo "fake iptables: want -w -t" >&2; exit 2; }
t=$2; op=$3; shift 3
rule="$t $*"
f="$HN_T/rules"; touch "$f"
case $op in
  -C) grep -qxF -- "$rule" "$f" ;;
  -A) printf '%s\n' "$rule" >> "$f"; grep -qxF -- "$t" "$HN_T/tables" 2>/dev/null || echo "$t" >> "$HN_T/tables" ;;
  -I) [ "$2" = 1 ] || { echo "fake iptables: -I only at 1" >&2; exit 2; }
      c=$1; shift 2; { printf '%s\n' "$t $c $*"; cat "$f"; } > "$f.new"; mv "$f.new" "$f"
      grep -qxF -- "$t" "$HN_T/tables" 2>/dev/null || echo "$t" >> "$HN_T/tables" ;;
  -D) grep -qxF -- "$rule" "$f" || exit 1
      awk -v r="$rule" 'd == 0 && $0 == r { d = 1; next } { print }' "$f" > "$f.new"; mv "$f.new" "$f" ;;
  *) exit 2 ;;
esac
`;

// Tables: the file "tables" lists the tables that exist (an -A creates one). As
// with iptables-nft, "-t <table>" prints the table even when it does not exist.
const FAKE_IPTABLES_SAVE = String.raw`#!/bin/sh
echo "iptables-save $*" >> "$HN_T/log"
touch "$HN_T/rules" "$HN_T/tables"
if [ "$1" = -t ]; then list=$2; else list=$(cat "$HN_T/tables"); fi
for t in $list; do
  echo "*$t"
  grep "^$t " "$HN_T/rules" | while read -r tt chain rest; do echo "-A $chain $rest"; done
  echo COMMIT
done
`;

// Only what hostnet sends. Without --noflush: "*<table>" then "COMMIT", which removes the table. With
// --noflush: "-A <chain> <spec>", "-I <chain> 1 <spec>" and "-D <chain> <spec>" lines under "*<table>", as iptables would take them
// (a -D of a rule that is not there fails the whole input, as it does; nothing is applied then).
const FAKE_IPTABLES_RESTORE =
  String.raw`#!/bin/sh
echo "iptables-restore $*" >> "$HN_T/log"
touch "$HN_T/rules" "$HN_T/tables"
noflush=0; for a in "$@"; do [ "$a" = --noflush ] && noflush=1; done
cp "$HN_T/rules" "$HN_T/rules.in"; cp "$HN_T/tables" "$HN_T/tables.in"
while read -r l; do
  case "$l" in
    "*"*) t=$(printf '%s' "$l" | cut -c2-)
      if [ "$noflush" = 0 ]; then grep -v "^$t " "$HN_T/rules.in" > "$HN_T/rules.new"; mv "$HN_T/rules.new" "$HN_T/rules.in"; ` +
  String.raw`grep -vxF -- "$t" "$HN_T/tables.in" > "$HN_T/tables.new"; mv "$HN_T/tables.new" "$HN_T/tables.in"; fi ;;
    COMMIT) ;;
    "-A "*) [ "$noflush" = 1 ] || { echo "fake iptables-restore: -A without --noflush" >&2; exit 2; }
      printf '%s\n' "$t ${"$"}{l#-A }" >> "$HN_T/rules.in"; grep -qxF -- "$t" "$HN_T/tables.in" || echo "$t" >> "$HN_T/tables.in" ;;
    "-I "*) [ "$noflush" = 1 ] || { echo "fake iptables-restore: -I without --noflush" >&2; exit 2; }
      set -- ${"$"}{l#-I }; c=$1; [ "$2" = 1 ] || { echo "fake iptables-restore: -I only at 1" >&2; exit 2; }; shift 2
      { printf '%s\n' "$t $c $*"; cat "$HN_T/rules.in"; } > "$HN_T/rules.new"; mv "$HN_T/rules.new" "$HN_T/rules.in"
      grep -qxF -- "$t" "$HN_T/tables.in" || echo "$t" >> "$HN_T/tables.in" ;;
    "-D "*) [ "$noflush" = 1 ] || { echo "fake iptables-restore: -D without --noflush" >&2; exit 2; }
      rule="$t ${"$"}{l#-D }"
      grep -qxF -- "$rule" "$HN_T/rules.in" || { echo "iptables-restore: line: Bad rule (does a matching rule exist in that chain?)" >&2; exit 1; }
      awk -v r="$rule" 'd == 0 && $0 == r { d = 1; next } { print }' "$HN_T/rules.in" > "$HN_T/rules.new"; mv "$HN_T/rules.new" "$HN_T/rules.in" ;;
    *) echo "fake iptables-restore: unexpected: $l" >&2; exit 2 ;;
  esac
done
mv "$HN_T/rules.in" "$HN_T/rules"; mv "$HN_T/tables.in" "$HN_T/tables"
`;

// Sysctls: sysctl/<key> holds the value; unset keys read "0". As the kernel does, writing a family's "all"
// forwarding (or net.ipv4.ip_forward) writes the forwarding of every interface of that family.
const FAKE_SYSCTL = String.raw`#!/bin/sh
echo "sysctl $*" >> "$HN_T/log"
mkdir -p "$HN_T/sysctl"
set_key() {
  printf '%s\n' "$2" > "$HN_T/sysctl/$1"
  case $1 in
    net.ipv4.ip_forward|net.ipv4.conf.all.forwarding) f=net.ipv4.conf ;;
    net.ipv6.conf.all.forwarding) f=net.ipv6.conf ;;
    *) return 0 ;;
  esac
  for x in "$HN_T/sysctl/$f".*.forwarding; do [ ! -e "$x" ] || printf '%s\n' "$2" > "$x"; done
  [ "$f" != net.ipv4.conf ] || printf '%s\n' "$2" > "$HN_T/sysctl/net.ipv4.ip_forward"
}
case $1 in
  -n) if [ -f "$HN_T/sysctl/$2" ]; then cat "$HN_T/sysctl/$2"; else echo 0; fi ;;
  -q) [ "$2" = -w ] || exit 2; shift 2; for kv; do set_key "$(printf '%s' "$kv" | cut -d= -f1)" "$(printf '%s' "$kv" | cut -d= -f2-)"; done ;;
  -a) [ "$2" = -r ] || exit 2
    for x in "$HN_T/sysctl"/*; do [ -e "$x" ] || continue; k=$(basename "$x"); printf '%s\n' "$k" | grep -qE -- "$3" && printf '%s = %s\n' "$k" "$(cat "$x")"; done
    exit 0 ;;
  -e) [ "$2 $3" = "-q -p" ] || exit 2; while read -r k eq v; do [ ! -e "$HN_T/sysctl/$k" ] || printf '%s\n' "$v" > "$HN_T/sysctl/$k"; done < "$4" ;;
  *) exit 2 ;;
esac
`;

export interface RunResult {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

export class FakeHost {
  readonly dir: string;

  constructor() {
    this.dir = fs.mkdtempSync(path.join(os.tmpdir(), "hostnet-fake-"));
    const bin = path.join(this.dir, "bin");
    fs.mkdirSync(bin);
    for (const [name, text] of [
      ["ip", FAKE_IP],
      ["iptables", FAKE_IPTABLES],
      ["iptables-save", FAKE_IPTABLES_SAVE],
      ["iptables-restore", FAKE_IPTABLES_RESTORE],
      ["sysctl", FAKE_SYSCTL],
    ]) {
      fs.writeFileSync(path.join(bin, name), text, { mode: 0o755 });
    }
    fs.writeFileSync(path.join(this.dir, "log"), "");
  }

  /** The script with its on-host paths moved into this fake host's directory. */
  localize(script: string): string {
    // "/run/hostnet" alone too: the NAT lock is on the directory itself.
    const out = script.split("/run/hostnet").join(`${this.dir}/ledger`).split("/run/netns/").join(`${this.dir}/netns/`);
    // A path left behind would make the test act on the real machine.
    if (out.includes("/run/")) throw new Error(`script still refers to /run after localizing:\n${out}`);
    return out;
  }

  run(script: string): RunResult {
    const r = spawnSync("/bin/sh", ["-c", this.localize(script)], {
      encoding: "utf8",
      env: { PATH: `${this.dir}/bin:/usr/bin:/bin`, HN_T: this.dir },
      cwd: this.dir,
    });
    return { status: r.status, stdout: r.stdout, stderr: r.stderr };
  }

  /** Calls the fakes received, one line each, since the last `clearLog`. */
  log(): string[] {
    return fs
      .readFileSync(path.join(this.dir, "log"), "utf8")
      .split("\n")
      .filter((l) => l !== "");
  }

  clearLog(): void {
    fs.writeFileSync(path.join(this.dir, "log"), "");
  }

  /** Alias of a link, or undefined when the link does not exist. */
  link(name: string, netns = "root"): string | undefined {
    const f = path.join(this.dir, "links", netns, name);
    return fs.existsSync(f) ? fs.readFileSync(f, "utf8") : undefined;
  }

  /** A link made by hand (not by hostnet), optionally with an alias. */
  addLink(name: string, alias = "", netns = "root"): void {
    fs.mkdirSync(path.join(this.dir, "links", netns), { recursive: true });
    fs.writeFileSync(path.join(this.dir, "links", netns, name), alias);
  }

  deleteLink(name: string, netns = "root"): void {
    fs.rmSync(path.join(this.dir, "links", netns, name));
  }

  hasNetns(name: string): boolean {
    return fs.existsSync(path.join(this.dir, "netns", name));
  }

  addNetns(name: string): void {
    fs.mkdirSync(path.join(this.dir, "netns"), { recursive: true });
    fs.writeFileSync(path.join(this.dir, "netns", name), "");
  }

  deleteNetns(name: string): void {
    fs.rmSync(path.join(this.dir, "netns", name));
  }

  rules(): string[] {
    const f = path.join(this.dir, "rules");
    return fs.existsSync(f)
      ? fs
          .readFileSync(f, "utf8")
          .split("\n")
          .filter((l) => l !== "")
      : [];
  }

  addRule(line: string): void {
    fs.appendFileSync(path.join(this.dir, "rules"), `${line}\n`);
  }

  /** Set a sysctl as it was before a test (no propagation, as a value already there). */
  setSysctl(key: string, value: string): void {
    fs.mkdirSync(path.join(this.dir, "sysctl"), { recursive: true });
    fs.writeFileSync(path.join(this.dir, "sysctl", key), `${value}\n`);
  }

  sysctl(key: string): string | undefined {
    const f = path.join(this.dir, "sysctl", key);
    return fs.existsSync(f) ? fs.readFileSync(f, "utf8").trim() : undefined;
  }

  /** Path of a ledger file (as /run/hostnet/<rest> would be on a host). */
  ledgerPath(rest: string): string {
    return path.join(this.dir, "ledger", rest);
  }

  ledger(rest: string): string | undefined {
    const f = this.ledgerPath(rest);
    return fs.existsSync(f) ? fs.readFileSync(f, "utf8") : undefined;
  }

  /** Files in the ledger directory of a stack, sorted. */
  ledgerFiles(stack: string): string[] {
    const d = path.join(this.dir, "ledger", stack);
    return fs.existsSync(d) ? fs.readdirSync(d).sort() : [];
  }

  writeLedger(rest: string, text: string): void {
    fs.mkdirSync(path.dirname(this.ledgerPath(rest)), { recursive: true });
    fs.writeFileSync(this.ledgerPath(rest), text);
  }

  dispose(): void {
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}
