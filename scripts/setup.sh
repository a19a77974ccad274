#!/usr/bin/env bash
# Installs what hostnet's tests, demo and benchmark need on a Debian machine:
# system packages (iproute2, iptables, nftables, OpenSSH, ping, PostgreSQL for the team
# tests, the CNI plugins, iperf3 and GNU time for the benchmark), node modules, and
# .hostnet/env.sh for scripts that run terraform. Must already be there:
# Node.js >= 20 and Terraform >= 1.4. One line per step; safe to run again.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"

say() { printf 'setup: %s\n' "$*"; }
die() { printf 'setup: error: %s\n' "$*" >&2; exit 1; }

# --- system packages -------------------------------------------------------
packages=(iproute2 iptables nftables openssh-server openssh-client iputils-ping containernetworking-plugins iperf3 procps util-linux postgresql time)
command -v dpkg-query >/dev/null || die "dpkg-query not found; this script supports Debian and its derivatives."

missing=()
for p in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
  [ "$status" = "install ok installed" ] || missing+=("$p")
done

if ((${#missing[@]} > 0)); then
  [ "$(id -u)" = 0 ] || die "missing packages: ${missing[*]}; run this script as root."
  export DEBIAN_FRONTEND=noninteractive
  say "apt-get update (package lists; up to a minute)"
  apt-get update -qq >/dev/null
  say "apt-get install ${missing[*]} (${#missing[@]} package(s); a minute or two)"
  # One line per package as dpkg unpacks it, so a slow mirror is not a silent minute.
  if ! apt-get install -y --no-install-recommends "${missing[@]}" 2>&1 | sed -n 's/^Setting up \([^ ]*\).*/setup:   installed \1/p'; then
    die "apt-get install ${missing[*]} failed; run it by hand to see why."
  fi
else
  say "system packages: ok"
fi

# Commands the lab and the hooks call; a package can be installed yet broken.
for c in ip iptables iptables-save nft ssh ssh-keygen /usr/sbin/sshd ping iperf3 nsenter unshare flock sysctl; do
  command -v "$c" >/dev/null || die "$c not found after installing packages; check the apt output above."
done

# --- node modules ------------------------------------------------------------
command -v node >/dev/null || die "node not found; hostnet needs Node.js >= 20."
node_major=$(node -p 'process.versions.node.split(".")[0]')
[ "$node_major" -ge 20 ] || die "Node.js $(node -v) is too old; hostnet needs Node.js >= 20."

# npm ci writes node_modules/.package-lock.json, so it is older than
# package-lock.json exactly when the lock file changed since the last install.
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  say "npm ci (node modules from package-lock.json; about a minute the first time)"
  npm ci --no-audit --no-fund --loglevel=error
else
  say "node_modules: ok"
fi
# The examples import from "hostnet", as a user's project does: link it to the sources.
node scripts/link-dev.js

# --- terraform environment ------------------------------------------------------
# Scripts that run terraform source .hostnet/env.sh. A TF_CLI_CONFIG_FILE that
# names a missing file makes terraform print a warning on every command, so
# env.sh points it at an empty config instead; checkpoint calls are disabled
# because this machine has no network.
mkdir -p .hostnet
: >.hostnet/terraformrc.tmp
if ! cmp -s .hostnet/terraformrc.tmp .hostnet/terraformrc 2>/dev/null; then
  mv .hostnet/terraformrc.tmp .hostnet/terraformrc
else
  rm -f .hostnet/terraformrc.tmp
fi
cat >.hostnet/env.sh.tmp <<EOF
# Written by scripts/setup.sh; source it before running terraform or cdktf.
export CHECKPOINT_DISABLE=1
if [ -n "\${TF_CLI_CONFIG_FILE:-}" ] && [ ! -f "\$TF_CLI_CONFIG_FILE" ]; then
  export TF_CLI_CONFIG_FILE="$repo/.hostnet/terraformrc"
fi
EOF
if cmp -s .hostnet/env.sh.tmp .hostnet/env.sh 2>/dev/null; then
  rm -f .hostnet/env.sh.tmp
else
  mv .hostnet/env.sh.tmp .hostnet/env.sh
  say "wrote .hostnet/env.sh"
fi
# shellcheck source=/dev/null
. .hostnet/env.sh

command -v terraform >/dev/null || die "terraform not found on PATH; hostnet needs Terraform >= 1.4 installed."
tf_version=$(terraform version -json 2>/dev/null | sed -n 's/.*"terraform_version": *"\([0-9.]*\)".*/\1/p')
case "$tf_version" in
  "" ) die "cannot read the version of $(command -v terraform); hostnet needs Terraform >= 1.4." ;;
  0.* | 1.[0-3] | 1.[0-3].* ) die "Terraform $tf_version is too old; hostnet needs Terraform >= 1.4." ;;
esac
say "terraform $tf_version: ok"
say "done"
