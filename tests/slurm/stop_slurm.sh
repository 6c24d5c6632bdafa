#!/usr/bin/env bash
# Stop the single-node test SLURM started by tests/slurm/start_slurm.sh: slurmd,
# slurmctld, slurmdbd and, with --all, also MariaDB and munged. Only the daemons named in
# the pid files that start_slurm.sh uses are stopped. Packages, configuration, state and
# the accounting database are kept (start_slurm.sh starts them again quickly).
#
# Exit status: 0 when every daemon it found is stopped; 1 if one of them does not stop;
# 3 if it cannot act (not root).
set -euo pipefail
# the daemons live in sbin, which a non-login root shell may lack on PATH
export PATH="$PATH:/usr/local/sbin:/usr/sbin:/sbin"

ALL=0
case "${1:-}" in
    "") ;;
    --all) ALL=1 ;;
    *)
        echo "usage: $0 [--all]" >&2
        exit 2
        ;;
esac

say() { echo "stop_slurm: $*" >&2; }

[ "$(id -u)" -eq 0 ] || {
    say "it needs root"
    exit 3
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

status=0

# stop_daemon NAME PIDFILE: TERM, wait up to 20 s, then KILL; only the pid in PIDFILE
stop_daemon() {
    local name="$1" pidfile="$2" pid i
    [ -s "$pidfile" ] || return 0
    pid="$(head -n 1 "$pidfile" | tr -dc 0-9)"
    if [ -z "$pid" ] || ! alive "$pid" "$name"; then
        return 0
    fi
    say "stopping $name (pid $pid)"
    kill "$pid" 2>/dev/null || true
    for ((i = 0; i < 100; i++)); do
        if ! alive "$pid" "$name"; then
            rm -f "$pidfile"
            return 0
        fi
        sleep 0.2
    done
    say "$name (pid $pid) did not stop within 20 s; killing it"
    kill -9 "$pid" 2>/dev/null || true
    sleep 0.5
    if alive "$pid" "$name"; then
        say "ERROR: $name (pid $pid) is still running"
        status=1
    fi
}

stop_daemon slurmd /run/slurmd.pid
stop_daemon slurmctld /run/slurmctld.pid
stop_daemon slurmdbd /run/slurmdbd.pid
if [ "$ALL" = 1 ]; then
    stop_daemon mariadbd /run/mysqld/mysqld.pid
    stop_daemon munged /run/munge/munged.pid
fi
exit "$status"
