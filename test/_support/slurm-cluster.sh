#!/bin/bash
# Local SLURM test cluster on one Debian 12 machine (root, no internet).
#   cluster.sh up-multi N   N slurmd daemons on 127.0.0.1 (ports 17001..), nodes node1..nodeN
#   cluster.sh up-netns N   N slurmd daemons, each in its own network + UTS namespace:
#                           nodes host1..hostN at 10.77.1.11.., controller at 10.77.1.1 (bridge ambr0)
#   cluster.sh down         stop every daemon this script started (by pid) and remove namespaces
# Needs: apt-get install -y --no-install-recommends slurmctld slurmd slurm-client munge
set -euo pipefail
BASE=${AM_SLURM_DIR:?set AM_SLURM_DIR to a work directory}
CONF=$BASE/slurm.conf
mode=${1:-}; n=${2:-2}
now() { date +%s.%N; }
since() { python3 -c "import sys; print(round($(now)-float(sys.argv[1]),2))" "$1"; }

write_conf() { # $1 = controller addr
  mkdir -p $BASE/{state,spool,log,run}; chown slurm:slurm $BASE/state
  cat > $CONF <<CONF
ClusterName=amtest
SlurmctldHost=$(hostname -s)($1)
SlurmUser=slurm
SlurmdUser=root
SlurmctldPort=6817
SlurmdPort=6818
AuthType=auth/munge
CredType=cred/munge
StateSaveLocation=$BASE/state
SlurmdSpoolDir=$BASE/spool/%n
SlurmctldPidFile=$BASE/run/slurmctld.pid
SlurmdPidFile=$BASE/run/slurmd-%n.pid
SlurmctldLogFile=$BASE/log/slurmctld.log
SlurmdLogFile=$BASE/log/slurmd-%n.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
MpiDefault=none
SwitchType=switch/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
SlurmdTimeout=30
InactiveLimit=0
KillWait=5
MinJobAge=60
CONF
}

start_munge() {
  if [ -S /run/munge/munge.socket.2 ] && munge -n >/dev/null 2>&1; then return; fi
  mkdir -p /run/munge; chown munge:munge /run/munge; chmod 0755 /run/munge
  runuser -u munge -- /usr/sbin/munged --foreground > $BASE/log/munged.fg 2>&1 & echo $! > $BASE/run/munged.fgpid
  for i in $(seq 1 40); do munge -n >/dev/null 2>&1 && return; sleep 0.1; done
  echo "munged did not start" >&2; exit 1
}

wait_idle() { # $1 = expected idle nodes
  for i in $(seq 1 240); do
    [ "$(SLURM_CONF=$CONF sinfo -h -N -o '%T' 2>/dev/null | grep -c '^idle$' || true)" = "$1" ] && return 0; sleep 0.25
  done
  echo "nodes not idle after 60 s" >&2; SLURM_CONF=$CONF sinfo -N >&2; return 1
}

case "$mode" in
up-multi)
  T0=$(now); rm -rf $BASE/state $BASE/spool; write_conf 127.0.0.1
  echo "NodeName=node[1-$n] NodeHostname=$(hostname -s) NodeAddr=127.0.0.1 Port=[17001-$((17000+n))] CPUs=2 RealMemory=1000 State=UNKNOWN" >> $CONF
  echo "PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP" >> $CONF
  start_munge; export SLURM_CONF=$CONF
  slurmctld -D > $BASE/log/slurmctld.fg 2>&1 & echo $! > $BASE/run/slurmctld.fgpid
  for i in $(seq 1 $n); do slurmd -D -N node$i > $BASE/log/slurmd-node$i.fg 2>&1 & echo $! > $BASE/run/slurmd-node$i.fgpid; done
  wait_idle $n; echo "up-multi: $n nodes idle after $(since $T0) s (export SLURM_CONF=$CONF)";;
up-netns)
  T0=$(now); rm -rf $BASE/state $BASE/spool; write_conf 10.77.1.1
  ip link add ambr0 type bridge; ip addr add 10.77.1.1/24 dev ambr0; ip link set ambr0 up
  hosts="127.0.0.1 localhost\n10.77.1.1 $(hostname -s)\n"; for i in $(seq 1 $n); do hosts+="10.77.1.$((10+i)) host$i\n"; done
  for i in $(seq 1 $n); do
    ip netns add amh$i; ip link add amh${i}a type veth peer name amh${i}b
    ip link set amh${i}b netns amh$i; ip link set amh${i}a master ambr0; ip link set amh${i}a up
    ip -n amh$i addr add 10.77.1.$((10+i))/24 dev amh${i}b; ip -n amh$i link set amh${i}b up; ip -n amh$i link set lo up
    ip -n amh$i route add default via 10.77.1.1
    mkdir -p /etc/netns/amh$i; printf "$hosts" > /etc/netns/amh$i/hosts
    echo "NodeName=host$i NodeAddr=10.77.1.$((10+i)) CPUs=2 RealMemory=1000 State=UNKNOWN" >> $CONF
  done
  echo "PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP" >> $CONF
  start_munge; export SLURM_CONF=$CONF
  slurmctld -D > $BASE/log/slurmctld.fg 2>&1 & echo $! > $BASE/run/slurmctld.fgpid
  # nsenter (not `ip netns exec`): keeps the host's /sys/fs/cgroup, which slurmd 22.05 needs
  for i in $(seq 1 $n); do
    nsenter --net=/run/netns/amh$i unshare --uts --mount sh -c \
      "mount --bind /etc/netns/amh$i/hosts /etc/hosts && hostname host$i && exec slurmd -D" \
      > $BASE/log/slurmd-host$i.fg 2>&1 & echo $! > $BASE/run/slurmd-host$i.fgpid
  done
  wait_idle $n; echo "up-netns: $n nodes idle after $(since $T0) s (export SLURM_CONF=$CONF)";;
down)
  T0=$(now)
  for f in $BASE/run/slurmd-*.fgpid $BASE/run/slurmctld.fgpid $BASE/run/munged.fgpid; do
    [ -f "$f" ] || continue; p=$(cat $f); kill "$p" 2>/dev/null || true
    for i in $(seq 1 40); do { [ -e /proc/$p ] && [ "$(awk '{print $3}' /proc/$p/stat)" != Z ]; } || break; sleep 0.25; done
    { [ -e /proc/$p ] && [ "$(awk '{print $3}' /proc/$p/stat)" != Z ]; } && { echo "SIGKILL $f"; kill -9 $p; }
    rm -f $f
  done
  for ns in $(ip netns list 2>/dev/null | awk '/^amh[0-9]+/{print $1}'); do ip netns del $ns; rm -rf /etc/netns/$ns; done
  ip link show ambr0 >/dev/null 2>&1 && ip link del ambr0
  rmdir /etc/netns 2>/dev/null || true
  echo "down after $(since $T0) s";;
*) echo "usage: $0 up-multi N | up-netns N | down" >&2; exit 2;;
esac
