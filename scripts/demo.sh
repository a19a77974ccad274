#!/usr/bin/env bash
# The main job (npm run demo): install what is missing, bring up two local test
# hosts, `hostnet deploy` the default stack (stacks/main.ts) to host a over SSH,
# and prove it works. `npm run demo -- --down` destroys it and removes the hosts.
# hostnet deploy/destroy exit with Terraform's own status (cdktf deploy reports a
# killed apply as success), so a failed deploy stops the demo with Terraform's error.
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"
[ "$(id -u)" = 0 ] || { echo "demo: run as root: test hosts are network namespaces" >&2; exit 2; }
bash scripts/setup.sh >/dev/null
# shellcheck source=/dev/null
. .hostnet/env.sh
export CI=true FORCE_COLOR=0

# hostnet <verb> hostnet-lab with its output in <log>: the summary lines on success; on failure
# what the hooks said on the host, then Terraform's error blocks and hostnet's closing lines
# (what failed, what was left, what the next deploy does). Returns hostnet's exit code.
run_hostnet() { # run_hostnet <verb> <log> <summary pattern>
  local verb=$1 log=$2 summary=$3 rc=0
  bin/hostnet "$verb" hostnet-lab >"$log" 2>&1 || rc=$?
  if [ "$rc" = 0 ]; then grep -E "$summary" "$log" || true; return 0; fi
  echo "demo: $verb failed (hostnet $verb exited $rc); Terraform's error:" >&2
  { grep -F "(local-exec): hostnet:" "$log"; sed -n '/^Error/,$p' "$log" | grep -v '^$'; } >&2 || tail -30 "$log" >&2
  return "$rc"
}

if [ "${1:-}" = "--down" ]; then
  failed=0
  if [ -f .lab/lab/inventory.json ]; then
    log=$(mktemp)
    run_hostnet destroy "$log" "Destroy complete|^hostnet: stack" || failed=$?
    rm -f "$log"
  fi
  # The test hosts go either way; with them goes whatever the destroy left on them.
  bin/hostnet lab down
  exit "$failed"
fi

step() { printf '\n== %s\n' "$*"; }
step "test hosts"
bin/hostnet lab up --hosts 2

step "hostnet deploy (stacks/main.ts -> host a)"
log=.hostnet/demo-deploy.log   # not in .lab/lab: lab down removes only what the lab made
run_hostnet deploy "$log" "Apply complete|No changes\.|^hostnet: stack" || { echo "demo: the whole output is in $log" >&2; exit 1; }

inv=.lab/lab/inventory.json
a=$(node -p "require('./$inv').hosts.a.address")
b=$(node -p "require('./$inv').hosts.b.address")
ssh_to() {
  local addr=$1; shift
  ssh -F /dev/null -o BatchMode=yes -o StrictHostKeyChecking=yes -o UserKnownHostsFile=.lab/lab/known_hosts \
    -o LogLevel=ERROR -i .lab/lab/id_ed25519 "root@$addr" "$@"
}
node=$(command -v node)
fails=0
check() { # check <description> <command...>; a failing probe shows its own output
  local what=$1 out; shift
  if out=$("$@" 2>&1); then
    printf '  ok    %s\n' "$what"
  else
    printf '  FAIL  %s (exit %s)\n' "$what" "$?"
    printf '%s\n' "$out" | sed 's/^/          /'
    fails=$((fails + 1))
  fi
}

step "probes"
check "web -> db (10.88.0.3) over the bridge"  ssh_to "$a" ip netns exec web ping -c1 -W2 10.88.0.3
check "cache -> gateway 10.88.0.1"              ssh_to "$a" ip netns exec cache ping -c1 -W2 10.88.0.1
check "host a -> web (10.88.0.2)"               ssh_to "$a" ping -c1 -W2 10.88.0.2
ssh_to "$a" "ip netns pids web | xargs -r kill; ip netns exec web setsid $node -e 'require(\"net\").createServer(s => s.end(\"hello from web\\n\")).listen(80)' </dev/null >/dev/null 2>&1 & sleep 0.5"
fetch='const s=require("net").connect(10080,process.argv[1]);let d="";s.on("data",c=>d+=c);'
fetch+='s.on("end",()=>process.exit(d.includes("hello from web")?0:1));s.on("error",()=>process.exit(1));s.setTimeout(3000,()=>process.exit(1))'
check "this machine -> $a:10080 -> web:80 (DNAT)" node -e "$fetch" "$a"
check "host b -> $a:10080 -> web:80 (DNAT)"     ssh_to "$b" "$node -e '$fetch' $a"
check "host a itself -> $a:10080 (DNAT, OUTPUT)" ssh_to "$a" "$node -e '$fetch' $a"

step "where to look"
echo "  plan:        cdktf.out/stacks/hostnet-lab/cdk.tf.json (scripts: hostnet-scripts/ beside it)"
[ -d cdktf.out/stacks/hostnet-lab/review ] && echo "  review:      cdktf.out/stacks/hostnet-lab/review/ (PLAN.md, <host>/up.sh, down.sh)"
echo "  on host a:   ssh -F /dev/null -o UserKnownHostsFile=.lab/lab/known_hosts -i .lab/lab/id_ed25519 root@$a"
echo "  tear down:   npm run demo -- --down"
if [ "$fails" -gt 0 ]; then echo "demo: $fails probe(s) failed" >&2; exit 1; fi
echo "demo: all probes passed"
