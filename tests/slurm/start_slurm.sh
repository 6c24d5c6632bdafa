#!/usr/bin/env bash
# A real single-node SLURM for the tests: controller (slurmctld) and one compute node
# (slurmd, NodeName=localhost) on this machine, one partition sized to the machine, munge
# authentication and, unless RIVERFISH_SLURM_ACCOUNTING=0, job accounting (slurmdbd on a
# local MariaDB) so that sacct works as on a production cluster.
#
# Idempotent: installs what is missing (Debian packages), rewrites the configuration only
# when it changed, restarts only what is not running or whose configuration changed, and
# waits until the node is idle. The last line printed on stdout is the partition name.
#
# Exit status: 0 ready; 3 SLURM cannot be had on this machine (not root, no apt-get, the
# packages cannot be installed, or a SLURM set up by someone else is present); 1 SLURM is
# installed but does not start (with the daemon logs on stderr).
#
# Settings (environment): RIVERFISH_SLURM_PARTITION (default debug),
# RIVERFISH_SLURM_ACCOUNTING (1 or 0, default 1), RIVERFISH_SLURM_TIMEOUT (seconds to wait
# for each daemon, default 60).
set -euo pipefail
# the daemons live in sbin, which a non-login root shell may lack on PATH
export PATH="$PATH:/usr/local/sbin:/usr/sbin:/sbin"

PARTITION="${RIVERFISH_SLURM_PARTITION:-debug}"
ACCOUNTING="${RIVERFISH_SLURM_ACCOUNTING:-1}"
TIMEOUT="${RIVERFISH_SLURM_TIMEOUT:-60}"
CLUSTER=riverfish
MARKER="# riverfish test cluster (tests/slurm/start_slurm.sh)"

CONF_DIR=/etc/slurm
SLURM_CONF="$CONF_DIR/slurm.conf"
DBD_CONF="$CONF_DIR/slurmdbd.conf"
LOG_DIR=/var/log/slurm
CTLD_STATE=/var/spool/slurmctld
SLURMD_SPOOL=/var/spool/slurmd
CTLD_PID=/run/slurmctld.pid
SLURMD_PID=/run/slurmd.pid
DBD_PID=/run/slurmdbd.pid
MUNGE_PID=/run/munge/munged.pid
DB_PID=/run/mysqld/mysqld.pid
DB_SOCKET=/run/mysqld/mysqld.sock
DB_NAME=slurm_acct_db
DB_USER=slurm
DB_PASS=riverfish-test

say() { echo "start_slurm: $*" >&2; }
cannot() {
    say "SLURM cannot be set up on this machine: $*"
    exit 3
}
fail() {
    say "ERROR: $*"
    show_logs
    exit 1
}
show_logs() {
    local f
    for f in "$LOG_DIR/slurmctld.log" "$LOG_DIR/slurmd.log" "$LOG_DIR/slurmdbd.log" \
        /var/log/munge/munged.log "$LOG_DIR/mariadb.log"; do
        if [ -s "$f" ]; then
            echo "----- last lines of $f -----" >&2
            tail -n 30 "$f" >&2 || true
        fi
    done
}

# alive PID NAME: PID is a running NAME (not a zombie left for its parent to reap, not
# another program that got the number of a daemon gone since)
alive() {
    local state
    kill -0 "$1" 2>/dev/null || return 1
    [ "$(cat "/proc/$1/comm" 2>/dev/null || true)" = "$2" ] || return 1
    state="$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null || true)"
    [ "$state" != Z ]
}

# running_pid PIDFILE NAME: print the pid of the running daemon NAME of PIDFILE, or fail
running_pid() {
    local pidfile="$1" name="$2" pid
    [ -s "$pidfile" ] || return 1
    pid="$(head -n 1 "$pidfile" | tr -dc 0-9)"
    [ -n "$pid" ] && alive "$pid" "$name" || return 1
    echo "$pid"
}

# stop a daemon started from here (its pid file), waiting until it is gone
stop_daemon() {
    local name="$1" pidfile="$2" pid i
    pid="$(running_pid "$pidfile" "$name")" || return 0
    say "stopping $name (pid $pid)"
    kill "$pid" 2>/dev/null || true
    for ((i = 0; i < 100; i++)); do
        alive "$pid" "$name" || return 0
        sleep 0.2
    done
    kill -9 "$pid" 2>/dev/null || true
}

# wait_for DESCRIPTION COMMAND...: run COMMAND until it succeeds or the timeout passes
wait_for() {
    local what="$1" start
    shift
    start=$SECONDS
    until "$@" >/dev/null 2>&1; do
        if ((SECONDS - start >= TIMEOUT)); then
            fail "timed out after ${TIMEOUT}s waiting for $what"
        fi
        sleep 1
    done
}

# write FILE MODE OWNER from stdin if its content differs; return 0 if it was (re)written
write_if_changed() {
    local file="$1" mode="$2" owner="$3" tmp
    tmp="$(mktemp)"
    cat >"$tmp"
    if [ -f "$file" ] && cmp -s "$tmp" "$file"; then
        rm -f "$tmp"
        return 1
    fi
    install -m "$mode" -o "${owner%%:*}" -g "${owner##*:}" "$tmp" "$file"
    rm -f "$tmp"
    return 0
}

# ---------------------------------------------------------------- prerequisites
[ "$(id -u)" -eq 0 ] || cannot "it needs root (to install packages and start daemons)"
case "$ACCOUNTING" in 0 | 1) ;; *) fail "RIVERFISH_SLURM_ACCOUNTING must be 0 or 1" ;; esac

if [ -f "$SLURM_CONF" ] && ! grep -qF "$MARKER" "$SLURM_CONF"; then
    cannot "$SLURM_CONF exists and was not written by this script; not touching a real cluster's configuration"
fi

# ---------------------------------------------------------------- install
need=()
for cmd in slurmctld:slurmctld slurmd:slurmd sbatch:slurm-client munged:munge; do
    command -v "${cmd%%:*}" >/dev/null 2>&1 || need+=("${cmd##*:}")
done
if [ "$ACCOUNTING" = 1 ]; then
    command -v slurmdbd >/dev/null 2>&1 || need+=(slurmdbd)
    command -v mariadbd >/dev/null 2>&1 || need+=(mariadb-server)
fi
if [ ${#need[@]} -gt 0 ]; then
    command -v apt-get >/dev/null 2>&1 ||
        cannot "apt-get is not available to install ${need[*]} (Debian/Ubuntu packages)"
    say "installing ${need[*]} (Debian packages)"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >&2 || cannot "apt-get update failed"
    apt-get install -y -qq --no-install-recommends "${need[@]}" >&2 ||
        cannot "apt-get install ${need[*]} failed"
fi
for cmd in slurmctld slurmd sbatch sinfo scontrol munged; do
    command -v "$cmd" >/dev/null 2>&1 || cannot "$cmd is still missing after the install"
done

# ---------------------------------------------------------------- munge
if ! running_pid "$MUNGE_PID" munged >/dev/null && ! munge -n </dev/null 2>/dev/null | unmunge >/dev/null 2>&1; then
    install -d -m 0700 -o munge -g munge /etc/munge /var/lib/munge /var/log/munge
    install -d -m 0755 -o munge -g munge /run/munge
    if [ ! -s /etc/munge/munge.key ]; then
        say "creating a munge key"
        if command -v mungekey >/dev/null 2>&1; then
            mungekey --create --keyfile=/etc/munge/munge.key
        else
            dd if=/dev/urandom of=/etc/munge/munge.key bs=1024 count=1 status=none
        fi
    fi
    chown munge:munge /etc/munge/munge.key
    chmod 0400 /etc/munge/munge.key
    say "starting munged"
    runuser -u munge -- /usr/sbin/munged --pid-file="$MUNGE_PID" ||
        fail "munged did not start"
fi
wait_for "munge authentication" sh -c 'munge -n </dev/null | unmunge'

# ---------------------------------------------------------------- configuration
cpus="$(nproc)"
total_mb="$(free -m | awk '/^Mem:/ {print $2}')"
# leave the operating system and the daemons 1/8 of the memory, at least 1 GB
margin=$((total_mb / 8 > 1024 ? total_mb / 8 : 1024))
mem_mb=$((total_mb - margin))
((mem_mb >= 1000)) || cannot "only ${total_mb} MB of memory; at least 2 GB are needed"

install -d -m 0755 "$CONF_DIR" "$LOG_DIR"
install -d -m 0700 "$CTLD_STATE" "$SLURMD_SPOOL"

if [ "$ACCOUNTING" = 1 ]; then
    accounting_lines="AccountingStorageType=accounting_storage/slurmdbd
AccountingStorageHost=localhost
JobAcctGatherType=jobacct_gather/linux
JobAcctGatherFrequency=30"
else
    accounting_lines="AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none"
fi

changed=0
if write_if_changed "$SLURM_CONF" 0644 root:root <<EOF; then changed=1; fi
$MARKER
# Controller and one compute node on this machine; every daemon runs as root.
ClusterName=$CLUSTER
SlurmctldHost=localhost
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CryptoType=crypto/munge
MpiDefault=none
# no cgroups: processes are tracked through /proc, tasks are not bound
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
DefMemPerCPU=500
# a node that was down comes back by itself when its slurmd registers
ReturnToService=2
# finished jobs stay visible to squeue/scontrol for an hour
MinJobAge=3600
SlurmctldTimeout=60
SlurmdTimeout=60
InactiveLimit=0
KillWait=10
Waittime=0
StateSaveLocation=$CTLD_STATE
SlurmdSpoolDir=$SLURMD_SPOOL
SlurmctldPidFile=$CTLD_PID
SlurmdPidFile=$SLURMD_PID
SlurmctldLogFile=$LOG_DIR/slurmctld.log
SlurmdLogFile=$LOG_DIR/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
$accounting_lines
JobCompType=jobcomp/none
NodeName=localhost NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=$mem_mb State=UNKNOWN
PartitionName=$PARTITION Nodes=localhost Default=YES MaxTime=INFINITE State=UP
EOF

# ---------------------------------------------------------------- accounting
if [ "$ACCOUNTING" = 1 ]; then
    for cmd in slurmdbd sacct sacctmgr mariadbd mariadb; do
        command -v "$cmd" >/dev/null 2>&1 || cannot "$cmd is missing after the install"
    done
    if ! running_pid "$DB_PID" mariadbd >/dev/null; then
        install -d -m 0755 -o mysql -g mysql /run/mysqld
        if [ ! -d /var/lib/mysql/mysql ]; then
            say "initialising the MariaDB data folder"
            mariadb-install-db --user=mysql --datadir=/var/lib/mysql >/dev/null ||
                fail "mariadb-install-db failed"
        fi
        say "starting MariaDB (local socket $DB_SOCKET, 127.0.0.1 only)"
        nohup /usr/sbin/mariadbd --user=mysql --pid-file="$DB_PID" --socket="$DB_SOCKET" \
            --bind-address=127.0.0.1 --log-error="$LOG_DIR/mariadb.log" \
            </dev/null >/dev/null 2>&1 &
    fi
    wait_for "MariaDB" mariadb --socket="$DB_SOCKET" -e "SELECT 1"
    mariadb --socket="$DB_SOCKET" <<SQL || fail "could not create the accounting database"
CREATE DATABASE IF NOT EXISTS $DB_NAME;
CREATE USER IF NOT EXISTS '$DB_USER'@'localhost' IDENTIFIED BY '$DB_PASS';
GRANT ALL ON $DB_NAME.* TO '$DB_USER'@'localhost';
SQL
    if write_if_changed "$DBD_CONF" 0600 root:root <<EOF; then changed=1; fi
$MARKER
AuthType=auth/munge
DbdHost=localhost
SlurmUser=root
PidFile=$DBD_PID
LogFile=$LOG_DIR/slurmdbd.log
DebugLevel=info
StorageType=accounting_storage/mysql
StorageHost=localhost
StorageLoc=$DB_NAME
StorageUser=$DB_USER
StoragePass=$DB_PASS
EOF
fi

# ---------------------------------------------------------------- daemons
if [ "$changed" = 1 ]; then
    say "configuration written ($SLURM_CONF): $cpus CPUs, $mem_mb MB, partition $PARTITION"
    stop_daemon slurmd "$SLURMD_PID"
    stop_daemon slurmctld "$CTLD_PID"
    stop_daemon slurmdbd "$DBD_PID"
fi

if [ "$ACCOUNTING" = 1 ]; then
    if ! running_pid "$DBD_PID" slurmdbd >/dev/null; then
        say "starting slurmdbd"
        slurmdbd || fail "slurmdbd did not start"
    fi
    wait_for "slurmdbd" sacctmgr -n list cluster
    if ! sacctmgr -n -P list cluster format=cluster | grep -qx "$CLUSTER"; then
        sacctmgr -i add cluster "$CLUSTER" >&2 || fail "could not register cluster $CLUSTER"
    fi
fi

if ! running_pid "$CTLD_PID" slurmctld >/dev/null; then
    say "starting slurmctld"
    slurmctld || fail "slurmctld did not start"
fi
wait_for "slurmctld" scontrol ping

if ! running_pid "$SLURMD_PID" slurmd >/dev/null; then
    say "starting slurmd (node localhost)"
    slurmd -N localhost || fail "slurmd did not start"
fi

start=$SECONDS
while :; do
    state="$(sinfo -h -n localhost -p "$PARTITION" -o %T 2>/dev/null | head -n 1 || true)"
    case "$state" in
        idle | mixed | allocated | completing) break ;;
        drain* | down* | fail*)
            # left over from an earlier run (e.g. the node was restarted): bring it back
            scontrol update nodename=localhost state=resume >/dev/null 2>&1 || true
            ;;
    esac
    if ((SECONDS - start >= TIMEOUT)); then
        sinfo -N -l >&2 || true
        scontrol show node localhost >&2 || true
        fail "node localhost is not idle after ${TIMEOUT}s (state: '${state:-unknown}')"
    fi
    sleep 1
done
say "ready: cluster $CLUSTER, node localhost ($cpus CPUs, $mem_mb MB), partition $PARTITION, accounting $([ "$ACCOUNTING" = 1 ] && echo slurmdbd || echo none)"
echo "$PARTITION"
