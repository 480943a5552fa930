#!/bin/bash
# The hand-optimised reference for bench/bench.ts: a star of N namespaces on one bridge, built
# with as few processes as iproute2 allows, one ping (first node to last), then torn down.
#
#   bench/star_iproute2.sh N linux|ovs
#
# - one root `ip -batch`: every `netns add`, the bridge, every veth pair (the node's end created
#   directly in its namespace, one queue each way as netkit makes it: `ip link add name eth0
#   netns NS numtxqueues 1 numrxqueues 1 type veth peer name NS-p numtxqueues 1 numrxqueues 1`),
#   every bridge attach;
# - one `ip -n NS -batch` per namespace (lo up, address, eth0 up), all in parallel;
# - ovs: a private ovsdb-server/ovs-vswitchd in a temporary run directory (datapath_type=netdev),
#   every port added in one ovs-vsctl transaction; stopped again at the end.
# Every name starts with bx-; the EXIT trap removes whatever is left, also after a failure.
# bench.ts runs it under `unshare --net` (as it does netkit and Mininet): the "root" namespace is
# then a private one, so the userspace OVS's ovs-netdev tap cannot collide with another OVS.
set -eu -o pipefail
N=${1:?usage: star_iproute2.sh N linux|ovs}
KIND=${2:-linux}
BR=bx-sbr
NS=() ; for ((i = 1; i <= N; i++)); do NS+=("bx-s$i"); done
addr() { echo "10.50.$(($1 >> 8)).$(($1 & 255))"; }
RUN=""

cleanup() {
  set +e
  { for ns in "${NS[@]}"; do echo "netns del $ns"; done; echo "link del dev $BR"; } |
    ip -force -batch - >/dev/null 2>&1
  if [ -n "$RUN" ]; then
    for d in ovs-vswitchd ovsdb-server; do
      [ -f "$RUN/$d.pid" ] && ovs-appctl -t "$RUN/$d.ctl" exit >/dev/null 2>&1
    done
    for d in ovs-vswitchd ovsdb-server; do
      pid=$(cat "$RUN/$d.pid" 2>/dev/null) || continue
      for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.02; done
      kill -9 "$pid" 2>/dev/null
    done
    rm -rf "$RUN"
  fi
}
trap cleanup EXIT

if [ "$KIND" = ovs ]; then
  RUN=$(mktemp -d -t bx-ovs.XXXXXX) # in $TMPDIR: bench.ts gives each run its own
  export OVS_RUNDIR=$RUN
  DB="unix:$RUN/db.sock"
  ovsdb-tool create "$RUN/conf.db" /usr/share/openvswitch/vswitch.ovsschema >/dev/null
  ovsdb-server "$RUN/conf.db" --remote="punix:$RUN/db.sock" --pidfile="$RUN/ovsdb-server.pid" \
    --unixctl="$RUN/ovsdb-server.ctl" --log-file="$RUN/ovsdb-server.log" --detach 2>/dev/null
  ovs-vsctl --db="$DB" --no-wait init
  ovs-vswitchd "$DB" --pidfile="$RUN/ovs-vswitchd.pid" --unixctl="$RUN/ovs-vswitchd.ctl" \
    --log-file="$RUN/ovs-vswitchd.log" --detach 2>/dev/null
fi

# 1. the root namespace: one process
{
  for ns in "${NS[@]}"; do echo "netns add $ns"; done
  [ "$KIND" = linux ] && echo "link add name $BR type bridge" && echo "link set dev $BR up"
  for ns in "${NS[@]}"; do
    echo "link add name eth0 netns $ns numtxqueues 1 numrxqueues 1 type veth peer name $ns-p numtxqueues 1 numrxqueues 1"
  done
  for ns in "${NS[@]}"; do
    if [ "$KIND" = linux ]; then echo "link set dev $ns-p master $BR up"
    else echo "link set dev $ns-p up"; fi
  done
} | ip -batch -

# 2. OVS: the bridge and every port in one transaction
if [ "$KIND" = ovs ]; then
  args=(add-br "$BR" -- set bridge "$BR" datapath_type=netdev)
  for ns in "${NS[@]}"; do args+=(-- add-port "$BR" "$ns-p"); done
  ovs-vsctl --db="$DB" "${args[@]}"
fi

# 3. each namespace: one process, all in parallel
for ((i = 1; i <= N; i++)); do
  printf 'link set dev lo up\naddr add %s/16 dev eth0\nlink set dev eth0 up\n' "$(addr "$i")" |
    ip -n "bx-s$i" -batch - &
done
wait

# 4. one ping, first node to last (OVS may need a moment to pick its ports up)
ok=""
for _ in 1 2 3 4 5 6 7 8 9 10; do
  if ip netns exec bx-s1 ping -c1 -W1 -q "$(addr "$N")" >/dev/null; then ok=1; break; fi
done
[ -n "$ok" ] || { echo "star_iproute2: ping bx-s1 -> $(addr "$N") failed" >&2; exit 1; }

# 5. teardown: deleting a namespace removes its veth pair (and the root end with it)
{ for ns in "${NS[@]}"; do echo "netns del $ns"; done; echo "link del dev $BR"; } | ip -batch -
NS=()
