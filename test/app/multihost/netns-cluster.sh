#!/usr/bin/env bash
# A cluster of "hosts" on one machine, for multi-host fault tests: Linux
# network namespaces PREFIX-h (the head, where mpirun runs) and PREFIX-0 ..
# PREFIX-(N-1) (the nodes), each node joined to a bridge in the head by its own
# veth link. Addresses are from 198.18.0.0/15 (reserved for benchmarking,
# RFC 2544) and exist only inside the namespaces, so clusters never collide
# and the machine's own network is untouched.
#
#   netns-cluster.sh up PREFIX N      create (needs root: CAP_NET_ADMIN, CAP_SYS_ADMIN)
#   netns-cluster.sh reset PREFIX     kill what runs inside, links up, no
#                                     traffic shaping: ready for the next job
#   netns-cluster.sh down PREFIX      kill what runs inside, remove
#   netns-cluster.sh sweep            remove clusters left by dead test processes
#   netns-cluster.sh agent PREFIX HOST COMMAND...
#                                     Open MPI's launch agent (plm_rsh_agent):
#                                     run COMMAND on node HOST instead of ssh
#
# Node i has address 198.18.0.(10+i) on interface eth0 and host name
# PREFIX-i (its own UTS namespace, so Open MPI sees separate hosts). PREFIX
# should end in the creating process's id (calo-mh-1234): `sweep` removes the
# clusters whose process is gone.
set -euo pipefail

node_address() { echo "198.18.0.$((10 + $1))"; }

namespaces() { ip netns list | awk '{print $1}' | grep -E "^$1-(h|[0-9]+)$" || true; }

# Processes inside (a daemon cut off from mpirun stays behind) also keep a
# namespace alive after `ip netns del`.
kill_inside() {
  local pids
  pids=$(ip netns pids "$1" 2>/dev/null || true)
  if [ -n "$pids" ]; then kill -9 $pids 2>/dev/null || true; fi
}

reset() {
  local ns
  for ns in $(namespaces "$1"); do
    kill_inside "$ns"
    if [ "$ns" != "$1-h" ]; then
      ip -n "$ns" link set eth0 up
      tc -n "$ns" qdisc del dev eth0 root 2>/dev/null || true
    fi
  done
}

down() {
  local ns
  for ns in $(namespaces "$1"); do
    kill_inside "$ns"
    ip netns del "$ns" 2>/dev/null || true
  done
}

up() {
  local prefix=$1 n=$2 i
  trap 'down "$prefix"' ERR
  ip netns add "$prefix-h"
  ip -n "$prefix-h" link set lo up
  ip -n "$prefix-h" link add br0 type bridge
  ip -n "$prefix-h" addr add 198.18.0.1/24 dev br0
  ip -n "$prefix-h" link set br0 up
  for ((i = 0; i < n; ++i)); do
    ip netns add "$prefix-$i"
    ip -n "$prefix-$i" link set lo up
    ip -n "$prefix-$i" link add eth0 type veth peer name "port$i" netns "$prefix-h"
    ip -n "$prefix-$i" addr add "$(node_address "$i")/24" dev eth0
    ip -n "$prefix-$i" link set eth0 up
    ip -n "$prefix-h" link set "port$i" master br0 up
  done
  trap - ERR
}

sweep() {
  local ns pid
  for ns in $(ip netns list | awk '{print $1}' | grep -E '^calo-mh-[0-9]+-h$' || true); do
    pid=${ns#calo-mh-}; pid=${pid%-h}
    kill -0 "$pid" 2>/dev/null || down "calo-mh-$pid"
  done
}

agent() {
  local prefix=$1 host=$2 i
  shift 2
  # Open MPI names the host as written in the hostfile: an address or a name.
  for ((i = 0; i < 256; ++i)); do
    if [ "$host" = "$(node_address "$i")" ] || [ "$host" = "$prefix-$i" ]; then
      # Like ssh: the remaining words are one command line for a shell.
      exec ip netns exec "$prefix-$i" unshare --uts sh -c "hostname $prefix-$i && $*"
    fi
  done
  echo "netns-cluster.sh: unknown host $host" >&2
  exit 255
}

case "${1:-}" in
  up) up "$2" "$3" ;;
  reset) reset "$2" ;;
  down) down "$2" ;;
  sweep) sweep ;;
  agent) shift; agent "$@" ;;
  *) echo "usage: $0 up PREFIX N | reset PREFIX | down PREFIX | sweep | agent PREFIX HOST COMMAND..." >&2; exit 2 ;;
esac
