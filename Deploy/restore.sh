#!/usr/bin/env bash
# fleet-restore: a new PostgreSQL data directory from fleet-backup's base backups and WAL
# archive, recovered to a moment (or to the end of the archive), optionally started and waited
# for. Installed as /opt/fleet/bin/fleet-restore; works from any folder. Step by step, what it
# does and does not bring back: docs/BACKUPS.md.
#
# Usage: restore.sh --target-time 'YYYY-MM-DD HH:MM:SS+TZ' --into NEWDATADIR
#                   [--backup LABEL|BASEDIR] [--port P] [--start]
#        restore.sh --latest --into NEWDATADIR [--backup LABEL|BASEDIR] [--port P] [--start]
#   --target-time  recover to this moment, written with its offset (+08, +08:00, Z): what was
#                  committed after it is not replayed (fractions of a second allowed)
#   --latest       recover everything the archive holds (the disk is lost, no mistake to undo)
#   --into         a new or empty folder: the restored cluster's data directory
#   --backup       the base backup, a label of `fleet-backup list` or its folder (default: the
#                  newest that finished before the target)
#   --start        start the restored cluster on 127.0.0.1:--port (default 5433), its socket in
#                  NEWDATADIR, and wait until recovery has finished and it is promoted
# Environment: FLEET_BACKUP_DIR (default /var/backups/fleet); FLEET_RESTORE_TIMEOUT (seconds
# --start waits for recovery, default 3600). Run as root (the folder is given to postgres) or as
# postgres.
set -euo pipefail

say() { printf 'fleet-restore: %s\n' "$*"; }
die() { printf 'fleet-restore: error: %s\n' "$*" >&2; exit 1; }
usage() { sed -n '7,19p' "$(readlink -f "${BASH_SOURCE[0]}")" | sed 's/^# \{0,1\}//' >&2; exit 2; }

backup_dir=${FLEET_BACKUP_DIR:-/var/backups/fleet}
base_dir=$backup_dir/base
wal_dir=$backup_dir/wal
target='' latest=false into='' backup='' port=5433 start=false
while [ $# -gt 0 ]; do
    case $1 in
        --target-time) target=${2:?--target-time needs a time}; shift 2 ;;
        --latest) latest=true; shift ;;
        --into) into=${2:?--into needs a folder}; shift 2 ;;
        --backup) backup=${2:?--backup needs a label or folder}; shift 2 ;;
        --port) port=${2:?--port needs a number}; shift 2 ;;
        --start) start=true; shift ;;
        -h | --help) usage ;;
        *) printf 'fleet-restore: error: unknown argument %s\n' "$1" >&2; usage ;;
    esac
done
[ -n "$into" ] || { printf 'fleet-restore: error: --into NEWDATADIR is required\n' >&2; usage; }
if $latest && [ -n "$target" ]; then die "--target-time and --latest exclude each other: one or the other"; fi
if ! $latest && [ -z "$target" ]; then
    die "say when to recover to: --target-time 'YYYY-MM-DD HH:MM:SS+08' (the moment before the mistake), or --latest (everything archived)"
fi
if [[ ! $port =~ ^[0-9]{1,5}$ ]] || [ "$port" -lt 1 ] || [ "$port" -gt 65535 ]; then die "--port $port refused: a TCP port, 1 to 65535"; fi
# Both paths are written into settings and server options: nothing that would need escaping.
if [[ $backup_dir != /* || $backup_dir =~ [^A-Za-z0-9/._+-] ]]; then
    die "FLEET_BACKUP_DIR=$backup_dir refused: an absolute path of letters, digits and / . _ + -"
fi
into=$(realpath -m "$into")
[[ ! $into =~ [^A-Za-z0-9/._+-] ]] || die "--into $into refused: a path of letters, digits and / . _ + -"
if [ -e "$into" ]; then
    [ -d "$into" ] || die "--into $into exists and is not a folder: give a new or empty folder"
    [ -z "$(ls -A "$into")" ] || die "--into $into is not empty: restore into a new or empty folder (move a broken cluster's folder aside first: mv $into $into.broken)"
fi
[ -d "$(dirname "$into")" ] || die "the folder $(dirname "$into") (where --into goes) does not exist"
timeout=${FLEET_RESTORE_TIMEOUT:-3600}
[[ $timeout =~ ^[0-9]+$ ]] || die "FLEET_RESTORE_TIMEOUT=$timeout refused: whole seconds"

info() { # BASEDIR KEY: a value of the base backup's fleet-backup.info
    sed -n "s/^$2=//p" "$1/fleet-backup.info" | head -n 1
}

# -- the target ------------------------------------------------------------------------------

# An offset is required: a time without one would be read in the server's zone by PostgreSQL and
# in this shell's by date, and they may differ. The normal form is understood by both.
target_epoch=
if ! $latest; then
    [[ $target =~ ^([0-9]{4}-[0-9]{2}-[0-9]{2})[\ T]([0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,6})?)\ ?(Z|UTC|[+-][0-9]{2}(:?[0-9]{2})?)$ ]] \
        || die "--target-time '$target' refused: YYYY-MM-DD HH:MM:SS with its offset, e.g. '2026-12-04 09:30:00+08' (China), '2026-12-04 01:30:00Z'"
    zone=${BASH_REMATCH[4]}
    case $zone in
        Z | UTC) zone=+00:00 ;;
        ???) zone=$zone:00 ;;
        ?????) zone=${zone:0:3}:${zone:3:2} ;;
    esac
    target="${BASH_REMATCH[1]} ${BASH_REMATCH[2]}$zone"
    target_epoch=$(date -d "$target" +%s 2>/dev/null) || die "--target-time '$target' is not a valid date and time"
fi

# -- the base backup -------------------------------------------------------------------------

[ -d "$base_dir" ] || die "no base backups: $base_dir does not exist (FLEET_BACKUP_DIR=$backup_dir; fleet-backup configure, then base)"
mapfile -t labels < <(for d in "$base_dir"/*/; do [ -f "$d/fleet-backup.info" ] && basename "$d"; done | sort)
[ ${#labels[@]} -gt 0 ] || die "no base backups in $base_dir: take one with 'fleet-backup base' (none can restore what happened before it)"
if [ -n "$backup" ]; then
    if [ -f "$backup/fleet-backup.info" ]; then base=$(realpath "$backup")
    elif [ -f "$base_dir/$backup/fleet-backup.info" ]; then base=$base_dir/$backup
    else die "--backup $backup: no such base backup (neither a folder with fleet-backup.info nor a label in $base_dir; fleet-backup list)"
    fi
    if ! $latest && [ "$(info "$base" stop_epoch)" -gt "$target_epoch" ]; then
        die "base backup $(basename "$base") is restorable only from $(info "$base" stop_time), after the target $target: choose an older one (fleet-backup list) or leave --backup out"
    fi
elif $latest; then
    base=$base_dir/${labels[-1]}
else
    # The newest that finished before the target: the least WAL to replay.
    base=
    for ((i = ${#labels[@]} - 1; i >= 0; i--)); do
        if [ "$(info "$base_dir/${labels[i]}" stop_epoch)" -le "$target_epoch" ]; then base=$base_dir/${labels[i]}; break; fi
    done
    [ -n "$base" ] || die "no base backup finished before $target: the oldest kept, ${labels[0]}, is restorable only from $(info "$base_dir/${labels[0]}" stop_time) (fleet-backup list). Older moments cannot be restored: their base backups were pruned (FLEET_BACKUP_KEEP)"
fi
label=$(basename "$base")

# Recovery stops at the first commit after the target; if the archive holds none, PostgreSQL
# stops with "recovery ended before configured recovery target was reached". Each archived file
# was stored (its time) after everything in it was written.
if ! $latest; then
    newest=$(find "$wal_dir" -maxdepth 1 -name '[0-9A-F]*.gz' ! -name '*.history.gz' -printf '%T@\n' 2>/dev/null | sort -n | tail -n 1 || true)
    if [ -z "$newest" ] || [ "${newest%.*}" -le "$target_epoch" ]; then
        die "the WAL archive $wal_dir ends $([ -n "$newest" ] && echo "at $(date -u -d "@${newest%.*}" '+%Y-%m-%d %H:%M:%S+00')" || echo 'empty'), before the target $target: recovery could not get there. If the server still runs, archive its current WAL (psql -c 'SELECT pg_switch_wal()') and try again; or choose an earlier time; or --latest for all that was archived"
    fi
fi

version=$(info "$base" pg_version)
pg_bin=/usr/lib/postgresql/$version/bin
[ -x "$pg_bin/postgres" ] || die "base backup $label is of PostgreSQL $version, whose server is not installed here: apt-get install postgresql-$version"
for tarball in "$base"/*.tar.gz; do
    case $(basename "$tarball") in
        base.tar.gz | pg_wal.tar.gz) ;;
        *) die "base backup $label holds a tablespace ($(basename "$tarball")), which fleet-restore does not place: extract it by hand (docs/BACKUPS.md)" ;;
    esac
done

as_pg=()
owner=$(id -un)
if [ "$(id -u)" -eq 0 ]; then
    owner=postgres
    as_pg=(runuser -u postgres --)
    id postgres >/dev/null 2>&1 || die "no postgres user: install postgresql-$version"
fi

# -- restore ---------------------------------------------------------------------------------

# A fleet-backup prune must not remove the base backup while it is read: its lock, shared.
if [ -f "$backup_dir/.lock" ]; then
    exec 9<"$backup_dir/.lock"
    if ! flock -s -n 9; then
        say "waiting for a running fleet-backup base or prune to finish (systemctl stop fleet-backup.service ends it)..."
        flock -s 9
    fi
fi
created_into=false
if [ ! -e "$into" ]; then mkdir -m 0700 "$into"; created_into=true; fi
restored=false
# A half-extracted folder is worse than none: it is emptied again on failure.
cleanup() { if ! $restored; then if $created_into; then rm -rf "$into"; else find "$into" -mindepth 1 -delete 2>/dev/null || true; fi; fi; }
trap cleanup EXIT
say "restoring base backup $label (restorable from $(info "$base" stop_time)) into $into..."
tar -xzf "$base/base.tar.gz" -C "$into" --no-same-owner
mkdir -p "$into/pg_wal"
tar -xzf "$base/pg_wal.tar.gz" -C "$into/pg_wal" --no-same-owner
exec 9<&- # extracted: the rest comes from the WAL archive, read by the server

# Debian keeps a cluster's postgresql.conf and pg_hba.conf in /etc/postgresql/, outside the data
# directory and so outside the backup. Enough to start the restored copy on its own; restored in
# place of a Debian cluster, the files in /etc/postgresql/ are used and these ignored.
if [ ! -f "$into/postgresql.conf" ]; then
    cat >"$into/postgresql.conf" <<EOF
# Written by fleet-restore: the base backup held no postgresql.conf (Debian keeps it in
# /etc/postgresql/VERSION/CLUSTER/). PostgreSQL's defaults, then postgresql.auto.conf.
listen_addresses = '127.0.0.1'
EOF
    cat >"$into/pg_hba.conf" <<EOF
# Written by fleet-restore: the base backup held no pg_hba.conf. The postgres user by its own
# login on the socket, everyone else by password (scram-sha-256); never trust.
local   all             postgres                                peer
local   all             all                                     scram-sha-256
host    all             all             127.0.0.1/32            scram-sha-256
host    all             all             ::1/128                 scram-sha-256
local   replication     all                                     scram-sha-256
host    replication     all             127.0.0.1/32            scram-sha-256
host    replication     all             ::1/128                 scram-sha-256
EOF
    printf '# Written by fleet-restore: the base backup held no pg_ident.conf.\n' >"$into/pg_ident.conf"
fi

# postgresql.auto.conf: read from the data directory whatever the layout, and the last of a
# setting wins. Inert after recovery (they apply only while recovery.signal exists).
quoted() { printf "'%s'" "${1//\'/\'\'}"; }
wal_file="'$wal_dir/%f.gz'"
{
    echo
    echo "# fleet-restore, $(date -u '+%Y-%m-%d %H:%M:%S UTC'): recovery from base backup $label of $backup_dir"
    echo "restore_command = $(quoted "test -f $wal_file && gzip -dc $wal_file > '%p'")"
    if $latest; then
        echo "# to the end of the archive (--latest)"
    else
        echo "recovery_target_time = $(quoted "$target")"
        echo "recovery_target_action = 'promote'"
    fi
    echo "# No connections until recovered: a hot standby would refuse to recover with settings such"
    echo "# as max_connections lower than the original's, and those were not in the backup (Debian)."
    echo "hot_standby = 'off'"
    echo "# The restored cluster does not archive into the folder of the one it came from (their WAL"
    echo "# would mix): where it replaces that cluster, fleet-backup configure turns archiving on again."
    echo "archive_mode = 'off'"
} >>"$into/postgresql.auto.conf"
touch "$into/recovery.signal"
if [ "$(id -u)" -eq 0 ]; then chown -R postgres:postgres "$into"; fi
chmod 0700 "$into"
restored=true
trap - EXIT
say "$into is ready to recover $(if $latest; then echo 'all the archived WAL'; else echo "to $target"; fi) (PostgreSQL $version, owned by $owner)"

if ! $start; then
    say "to recover it: ${as_pg[*]:+${as_pg[*]} }$pg_bin/pg_ctl start -D $into -l $into/fleet-restore.log -o '-p $port -c listen_addresses=127.0.0.1 -k $into'"
    say "or in place of a Debian cluster: stop it, move its data directory aside, restore --into that directory, systemctl start postgresql@$version-main"
    exit 0
fi

# -- start and wait --------------------------------------------------------------------------

if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
    die "port $port is in use on 127.0.0.1: --port another (the restored folder $into is ready; start it by hand or remove it and run again)"
fi
log=$into/fleet-restore.log
say "starting it on 127.0.0.1:$port (socket in $into, log $log) and waiting for recovery..."
# -W: recovery can take longer than pg_ctl's wait; this script waits for the end of recovery.
(cd / && "${as_pg[@]}" "$pg_bin/pg_ctl" start -W -D "$into" -l "$log" \
    -o "-p $port -c listen_addresses=127.0.0.1 -k $into -c unix_socket_permissions=0700") >/dev/null
started=$SECONDS
while :; do
    state=$(cd / && "${as_pg[@]}" "$pg_bin/pg_controldata" "$into" | sed -n 's/^Database cluster state: *//p')
    # Promoted: recovery.signal is gone and the control file says so (pg_is_in_recovery() false).
    if [ "$state" = "in production" ] && [ ! -e "$into/recovery.signal" ]; then break; fi
    if [ $((SECONDS - started)) -ge 2 ] && ! (cd / && "${as_pg[@]}" "$pg_bin/pg_ctl" status -D "$into" >/dev/null); then
        tail -n 15 "$log" >&2 || true
        if grep -q 'recovery ended before configured recovery target was reached' "$log" 2>/dev/null; then
            die "recovery stopped before $target: the archive holds no WAL past it (a later time than the server archived, or a gap: fleet-backup verify). Remove $into and choose an earlier time or --latest"
        fi
        die "the restored cluster stopped during recovery (its log above, all of it in $log)"
    fi
    if [ $((SECONDS - started)) -ge "$timeout" ]; then
        die "recovery still running after ${timeout}s (FLEET_RESTORE_TIMEOUT): it goes on in the background; follow $log"
    fi
    sleep 0.2
done
say "recovered $(if $latest; then echo 'to the end of the archive'; else echo "to $target"; fi) and promoted in $((SECONDS - started))s: running on 127.0.0.1:$port, with the roles and passwords of the backed-up cluster"
say "connect: psql 'postgres://USER@127.0.0.1:$port/fleet'; stop: ${as_pg[*]:+${as_pg[*]} }$pg_bin/pg_ctl stop -D $into"
say "archiving is off in it: if it replaces the server, fleet-backup configure, restart, then fleet-backup base"
