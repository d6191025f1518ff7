#!/usr/bin/env bash
# fleet-backup: base backups and a WAL archive of Fleet's PostgreSQL cluster, so that it can be
# restored to any moment since the oldest kept base backup (Deploy/restore.sh; docs/BACKUPS.md).
# Installed as /opt/fleet/bin/fleet-backup; it works from any folder.
#
# Usage: backup.sh configure [--print]    turn WAL archiving on (ALTER SYSTEM), once per cluster
#        backup.sh base                   a base backup, verified, then prune (the daily timer)
#        backup.sh prune                  keep the newest $FLEET_BACKUP_KEEP bases and their WAL
#        backup.sh list                   the base backups and the WAL archive
#        backup.sh verify [LABEL|--all]   base backups (default the newest) and the WAL after them
#        backup.sh archive-wal PATH NAME  PostgreSQL's archive_command (%p %f), set by configure
#
# Environment (systemd: EnvironmentFile=/etc/fleet/fleet.env):
#   FLEET_BACKUP_DIR              where backups go: base/<UTC time>/ and wal/ (/var/backups/fleet)
#   FLEET_BACKUP_KEEP             base backups kept, a whole number >= 1 (7)
#   FLEET_BACKUP_DATABASE_URL     postgres://user:password@host:port/db of a role with REPLICATION
#                                 (configure: a superuser); default DATABASE_URL
#   FLEET_BACKUP_CHECKPOINT       spread (gentle on a busy server) or fast (spread)
#   FLEET_BACKUP_VERIFY           full (every file's checksum, extracts to a scratch folder in
#                                 FLEET_BACKUP_DIR) or quick (gzip integrity only) (full)
#   FLEET_BACKUP_ARCHIVE_TIMEOUT  configure: seconds after which a WAL segment is archived even
#                                 if not full, the most a lost disk can lose; 0 for never (300)
#   FLEET_BACKUP_ARCHIVE_WAIT     base: seconds to wait for its first WAL segment to reach the
#                                 archive, the proof that archiving works (120)
# The password never goes on a command line or into the output: libpq gets it from a 0600 file.
set -euo pipefail

self=$(readlink -f "${BASH_SOURCE[0]}")
backup_dir=${FLEET_BACKUP_DIR:-/var/backups/fleet}
base_dir=$backup_dir/base
wal_dir=$backup_dir/wal

say() { printf 'fleet-backup: %s\n' "$*"; }
die() { printf 'fleet-backup: error: %s\n' "$*" >&2; exit 1; }

# The folder's path goes into archive_command and restore_command (shell commands inside quoted
# settings, run in the data directory): absolute, and nothing that would need escaping.
if [[ $backup_dir != /* || $backup_dir =~ [^A-Za-z0-9/._+-] ]]; then
    die "FLEET_BACKUP_DIR=$backup_dir refused: an absolute path of letters, digits and / . _ + - (it is written into PostgreSQL's archive and restore commands), e.g. /var/backups/fleet"
fi

# The newest installed PostgreSQL's tools (Debian: /usr/lib/postgresql/VERSION/bin); a newer
# pg_basebackup backs up an older server.
pg_bin=$(printf '%s\n' /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
[ -d "$pg_bin" ] || die "no PostgreSQL tools in /usr/lib/postgresql/*/bin: apt-get install postgresql-client-15 (and postgresql-15 on the database's machine)"

# A WAL file's name as PostgreSQL gives it to archive_command: a segment (24 hex digits), a
# segment closed at a promotion (.partial), a backup's history (.backup), a timeline's history.
wal_name_pattern='^([0-9A-F]{24}(\.partial|\.[0-9A-F]{8}\.backup)?|[0-9A-F]{8}\.history)$'

keep() {
    local keep=${FLEET_BACKUP_KEEP:-7}
    if [[ ! $keep =~ ^[0-9]+$ ]] || [ "$((10#$keep))" -lt 1 ]; then
        die "FLEET_BACKUP_KEEP=$keep refused: the number of base backups to keep, a whole number of 1 or more (default 7)"
    fi
    echo "$((10#$keep))"
}

seconds_setting() { # NAME DEFAULT: a whole number of seconds from the environment, or an error
    local value=${!1:-$2}
    if [[ ! $value =~ ^[0-9]{1,6}$ ]]; then die "$1=$value refused: whole seconds, 0 to 999999 (default $2)"; fi
    echo "$((10#$value))"
}

# -- connecting ------------------------------------------------------------------------------

# Sets `conninfo` (the URL without its password, for libpq's -d), `server` (what output may
# show) and PGPASSFILE (a 0600 file holding the password, removed on exit). libpq reads the
# rest of the URL itself: host, port, database, sslmode, sslrootcert, ?host=/socket/folder.
passfile=
cleanup_passfile() { if [ -n "$passfile" ]; then rm -f "$passfile"; fi; }
connect() {
    local url=${FLEET_BACKUP_DATABASE_URL:-${DATABASE_URL:-}}
    [ -n "$url" ] || die "no database to back up: set FLEET_BACKUP_DATABASE_URL (or DATABASE_URL), e.g. in /etc/fleet/fleet.env, to postgres://fleet_backup:PASSWORD@127.0.0.1:5432/fleet (a role with REPLICATION; docs/BACKUPS.md)"
    # The URL is never repeated in an error: it may hold a password.
    [[ $url =~ ^(postgres|postgresql)://([^/?#]*)(.*)$ ]] \
        || die "FLEET_BACKUP_DATABASE_URL (or DATABASE_URL) refused: a postgres://user:password@host:port/database URL (not repeated here: it may hold a password)"
    local scheme=${BASH_REMATCH[1]} authority=${BASH_REMATCH[2]} tail=${BASH_REMATCH[3]}
    local hostport=$authority userinfo='' user='' password='' has_password=false host
    if [[ $authority == *@* ]]; then
        userinfo=${authority%@*}
        hostport=${authority##*@}
        user=${userinfo%%:*}
        if [[ $userinfo == *:* ]]; then password=${userinfo#*:}; has_password=true; fi
    fi
    # The host as fleetd reads it (README, Configuration): ?host= (a socket's folder) wins.
    if [[ $tail =~ [?\&]host=([^&#]*) ]]; then host=${BASH_REMATCH[1]}
    elif [[ $hostport == \[* ]]; then host=${hostport%%]*}]
    else host=${hostport%%:*}
    fi
    host=$(percent_decode "$host")
    [ -n "$host" ] || die "FLEET_BACKUP_DATABASE_URL (or DATABASE_URL) has no host: postgres://user:password@host:5432/database, or ?host=/socket/folder"
    # fleetd's rule: beyond this machine, encrypted and the server's certificate checked unless
    # the URL says otherwise; on it, plain text (libpq's own default, prefer, would differ).
    local sslmode=verify-full
    if [[ $host == /* || $host == localhost || $host == ::1 || $host == '[::1]' || $host =~ ^127\.[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}$ ]]; then
        sslmode=disable
    fi
    if [[ ! $tail =~ [?\&]sslmode= ]]; then
        if [[ $tail == *\?* ]]; then tail+="&sslmode=$sslmode"; else tail+="?sslmode=$sslmode"; fi
    fi
    conninfo="$scheme://${user:+$user@}$hostport$tail"
    server="$scheme://${user:+$user@}$hostport${tail%%\?*}"
    if $has_password; then
        passfile=$(mktemp "${TMPDIR:-/tmp}/fleet-backup-pass.XXXXXX") # mktemp: mode 0600
        trap cleanup_passfile EXIT
        # A passfile line: host:port:database:user:password, ':' and '\' escaped; this file serves
        # this one connection, so every field but the password is '*'.
        password=$(percent_decode "$password")
        password=${password//\\/\\\\}
        printf '*:*:*:*:%s\n' "${password//:/\\:}" >"$passfile"
        export PGPASSFILE=$passfile
        unset PGPASSWORD # it would win over the file: the URL's password is the one asked for
    fi
    # Never prompt (the timer has no terminal); connect within 30 s or say why.
    export PGCONNECT_TIMEOUT=${PGCONNECT_TIMEOUT:-30}
}

percent_decode() { # URL escapes (%40 for @) to their bytes; a '\' stays a '\'
    local s=${1//\\/\\\\}
    printf '%b' "${s//%/\\x}"
}

sql() { # QUERY: one statement's rows, fields separated by '|'
    "$pg_bin/psql" -X -w -A -t -q -v ON_ERROR_STOP=1 -d "$conninfo" -c "$1"
}

# -- the folder ------------------------------------------------------------------------------

# base and prune run as the folder's owner (the postgres user, whose server writes wal/): a base
# backup made by root could not be removed by the timer's prune later.
run_as_owner() {
    if [ "$(id -u)" -ne 0 ] || [ ! -d "$backup_dir" ]; then return 0; fi
    local owner
    owner=$(stat -c %U "$backup_dir")
    if [ "$owner" != root ]; then
        exec runuser -u "$owner" -- bash "$self" "$@"
    fi
}

need_folder() {
    if [ ! -d "$base_dir" ] || [ ! -d "$wal_dir" ]; then
        die "$base_dir or $wal_dir is missing: run 'fleet-backup configure' once as root (it creates them for the postgres user)"
    fi
    [ -w "$base_dir" ] || die "$base_dir is not writable by $(id -un): it belongs to $(stat -c %U "$base_dir"); run as that user (the timer runs as postgres)"
}

# One base, prune or verify at a time: a prune must not remove what a base backup or a verify is
# reading. restore.sh takes the same lock, shared, while it extracts.
lock() {
    # Read-only when another user made it: flock works on any open file.
    if [ -w "$backup_dir/.lock" ] || [ ! -e "$backup_dir/.lock" ]; then exec 9>>"$backup_dir/.lock"; else exec 9<"$backup_dir/.lock"; fi
    flock -n 9 || die "another fleet-backup base, prune or verify is running on $backup_dir (lock $backup_dir/.lock): wait for it and try again"
}

bases() { # complete base backups, oldest first (their labels, UTC times, sort as text)
    local d
    for d in "$base_dir"/*/; do
        [ -f "$d/fleet-backup.info" ] && basename "$d"
    done | sort
}

info() { # LABEL KEY: a value of base/LABEL/fleet-backup.info
    sed -n "s/^$2=//p" "$base_dir/$1/fleet-backup.info" | head -n 1
}

# -- configure -------------------------------------------------------------------------------

cmd_configure() {
    local print_only=false
    case ${1:-} in
        --print) print_only=true ;;
        '') ;;
        *) die "usage: fleet-backup configure [--print]" ;;
    esac
    local timeout
    timeout=$(seconds_setting FLEET_BACKUP_ARCHIVE_TIMEOUT 300)
    # Run by the server through /bin/sh in its data directory; the folder comes with it, as the
    # server's environment does not hold fleet.env.
    [[ ! $self =~ [^A-Za-z0-9/._+-] ]] \
        || die "$self: install fleet-backup under a path of letters, digits and / . _ + - (it is written into archive_command), e.g. /opt/fleet/bin/fleet-backup"
    local archive_command="FLEET_BACKUP_DIR='$backup_dir' '$self' archive-wal %p %f"
    if $print_only; then
        cat <<EOF
# postgresql.conf (or ALTER SYSTEM) for fleet-backup; archive_mode and wal_level need a restart.
wal_level = replica                  # unless already replica or logical
archive_mode = on
archive_command = '${archive_command//\'/\'\'}'
archive_timeout = ${timeout}s
EOF
        return 0
    fi
    connect
    # The folders, for the server's user (archive_command runs as it). As root, for the owner of
    # the cluster's data directory; otherwise they must already be writable.
    local datadir owner=postgres
    datadir=$(sql "SELECT current_setting('data_directory')") \
        || die "could not read the server's settings (above): configure needs a superuser's URL in FLEET_BACKUP_DATABASE_URL, e.g. postgres://postgres:PASSWORD@127.0.0.1:5432/postgres"
    [ -d "$datadir" ] \
        || die "the cluster's data directory $datadir is not on this machine: archive_command runs on the database's machine, so install fleet-backup there and run configure there"
    owner=$(stat -c %U "$datadir")
    if [ "$(id -u)" -eq 0 ]; then
        install -d -m 0700 -o "$owner" -g "$(stat -c %G "$datadir")" "$backup_dir" "$base_dir" "$wal_dir"
        runuser -u "$owner" -- test -x "$self" \
            || die "$self is not executable by $owner, who runs archive_command: install it where $owner can run it (/opt/fleet/bin)"
    else
        mkdir -p "$base_dir" "$wal_dir" 2>/dev/null || true
        [ -w "$wal_dir" ] \
            || die "$wal_dir is not writable: as root, install -d -m 0700 -o $owner -g $owner $backup_dir (or run configure as root)"
        [ "$(id -un)" = "$owner" ] \
            || say "warning: $wal_dir must be writable by $owner, who runs archive_command"
    fi

    local was_level was_mode was_command was_timeout
    IFS='|' read -r was_level was_mode was_timeout < <(sql "SELECT current_setting('wal_level'), current_setting('archive_mode'), current_setting('archive_timeout')")
    was_command=$(sql "SELECT current_setting('archive_command')")
    local restart=()
    # replica is PostgreSQL 15's default; logical already includes it, so only minimal is raised.
    if [ "$was_level" = minimal ]; then restart+=(wal_level); fi
    if [ "$was_mode" = off ]; then restart+=(archive_mode); fi
    say "wal_level: $was_level -> $([ "$was_level" = minimal ] && echo replica || echo "$was_level")"
    say "archive_mode: $was_mode -> on"
    say "archive_command: ${was_command:-(none)} -> $archive_command"
    say "archive_timeout: $was_timeout -> ${timeout}s"
    # psql's variables quote the command as a literal (no SQL splicing); statements one by one,
    # as ALTER SYSTEM refuses a transaction.
    {
        if [ "$was_level" = minimal ]; then echo "ALTER SYSTEM SET wal_level = 'replica';"; fi
        echo "ALTER SYSTEM SET archive_mode = 'on';"
        echo "ALTER SYSTEM SET archive_command = :'archive_command';"
        echo "ALTER SYSTEM SET archive_timeout = :'archive_timeout';"
        echo "SELECT pg_reload_conf();"
    } | "$pg_bin/psql" -X -w -q -v ON_ERROR_STOP=1 -d "$conninfo" \
        -v archive_command="$archive_command" -v archive_timeout="${timeout}s" >/dev/null \
        || die "ALTER SYSTEM refused (above): configure needs a superuser (or GRANT ALTER SYSTEM ON PARAMETER archive_mode, archive_command, archive_timeout, wal_level TO the role), or write the lines of 'fleet-backup configure --print' into postgresql.conf"
    local max_senders
    max_senders=$(sql "SELECT current_setting('max_wal_senders')")
    if [ "$max_senders" -lt 2 ]; then
        say "warning: max_wal_senders is $max_senders; a base backup needs 2 (it streams its WAL): ALTER SYSTEM SET max_wal_senders = 10, then restart"
    fi
    if [ ${#restart[@]} -gt 0 ]; then
        say "RESTART NEEDED: ${restart[*]} changed; archiving starts after PostgreSQL restarts (Debian: systemctl restart postgresql@15-main)"
        say "then: fleet-backup base (it checks that WAL reaches $wal_dir)"
    else
        say "applied (reloaded, no restart needed); next: fleet-backup base (it checks that WAL reaches $wal_dir)"
    fi
}

# -- archive-wal -----------------------------------------------------------------------------

# PostgreSQL's archive_command contract: exit 0 only once the file is safely stored; never
# overwrite an archived file with other content; succeed when the same file is archived again
# (after a crash between storing and the server recording it). gzip: a segment closed early by
# archive_timeout is mostly zeros, and compresses to almost nothing.
cmd_archive_wal() {
    [ $# -eq 2 ] || die "usage: fleet-backup archive-wal PATH NAME (PostgreSQL's archive_command, with %p %f)"
    local src=$1 name=$2
    [[ $name =~ $wal_name_pattern ]] || die "refusing to archive '$name': not the name of a WAL segment, backup history or timeline history file"
    [ -f "$src" ] || die "no WAL file $src (relative to the data directory $(pwd))"
    [ -d "$wal_dir" ] || die "no WAL archive folder $wal_dir: run 'fleet-backup configure' as root"
    local dest=$wal_dir/$name.gz
    if [ -e "$dest" ]; then
        if gzip -dc "$dest" 2>/dev/null | cmp -s - "$src"; then
            say "$name was already archived, identical"
            return 0
        fi
        die "$dest exists with other content than $src: refusing to overwrite it. Is another cluster archiving into $wal_dir? Give each cluster its own FLEET_BACKUP_DIR (docs/BACKUPS.md)"
    fi
    local tmp
    tmp=$(mktemp "$wal_dir/.$name.XXXXXX.tmp")
    # shellcheck disable=SC2064 # the name is fixed now
    trap "rm -f '$tmp'" EXIT
    gzip -1 -n -c "$src" >"$tmp"
    sync "$tmp"
    # A hard link stores it under its name atomically and never replaces a file that appeared
    # meanwhile (mv would): a half-written archive file is never seen.
    if ! ln "$tmp" "$dest" 2>/dev/null; then
        if [ -e "$dest" ] && gzip -dc "$dest" 2>/dev/null | cmp -s - "$src"; then return 0; fi
        die "could not store $dest (above, or it appeared meanwhile with other content)"
    fi
    rm -f "$tmp"
    sync "$wal_dir"
}

# -- verify ----------------------------------------------------------------------------------

# DIR MODE: the tar files' gzip integrity, and (full) every file's size and checksum against the
# backup's manifest, and the WAL inside it parsed from start to end, by pg_verifybackup. Before
# PostgreSQL 18 it reads only plain backups, so the tars are extracted into a scratch folder
# beside the backups (as much space as the database; /tmp may be a small tmpfs).
verify_dir() {
    local dir=$1 mode=$2 tarball
    [ -f "$dir/backup_manifest" ] || { say "FAIL $dir: no backup_manifest"; return 1; }
    [ -f "$dir/base.tar.gz" ] || { say "FAIL $dir: no base.tar.gz"; return 1; }
    [ -f "$dir/pg_wal.tar.gz" ] || { say "FAIL $dir: no pg_wal.tar.gz"; return 1; }
    for tarball in "$dir"/*.tar.gz; do
        gzip -t "$tarball" || { say "FAIL $tarball: damaged (gzip -t)"; return 1; }
    done
    [ "$mode" = full ] || return 0
    local scratch options=(-q)
    scratch=$(mktemp -d "$backup_dir/.verify.XXXXXX")
    # Without pg_waldump (postgresql-15, not just the client) the WAL is checked only by checksum.
    [ -x "$pg_bin/pg_waldump" ] || options+=(--no-parse-wal)
    # Tablespaces other than the main one come as OID.tar.gz: their files are checked by gzip only.
    if compgen -G "$dir/[0-9]*.tar.gz" >/dev/null; then options+=(--ignore=pg_tblspc); fi
    local ok=true
    if ! { tar -xzf "$dir/base.tar.gz" -C "$scratch" \
        && mkdir -p "$scratch/pg_wal" && tar -xzf "$dir/pg_wal.tar.gz" -C "$scratch/pg_wal" \
        && cp "$dir/backup_manifest" "$scratch/"; }; then
        say "FAIL $dir: could not extract it into $scratch (full disk? FLEET_BACKUP_VERIFY=quick skips this)"
        ok=false
    elif ! "$pg_bin/pg_verifybackup" "${options[@]}" "$scratch"; then
        say "FAIL $dir: pg_verifybackup found the problems above"
        ok=false
    fi
    rm -rf "$scratch"
    $ok
}

# LABEL: the archive holds every WAL segment from the base backup's start to the newest on its
# timeline, so a restore can reach any time up to the newest (a gap stops recovery there).
verify_wal_after() {
    local label=$1 start timeline first size per prev='' name n=0 newest='' segno
    start=$(info "$label" start_wal)
    timeline=${start:0:8}
    first=$wal_dir/$start.gz
    if [ ! -f "$first" ]; then
        say "FAIL $label: its first WAL segment $start is not in $wal_dir: is archiving on? (fleet-backup configure)"
        return 1
    fi
    # Segments per 'log' number from the segment size (16 MB unless initdb --wal-segsize).
    size=$(gzip -dc "$first" | wc -c)
    per=$((0x100000000 / size))
    while read -r name; do
        if [[ $name < $start ]]; then continue; fi
        segno=$((16#${name:8:8} * per + 16#${name:16:8}))
        if [ -n "$prev" ] && [ "$segno" -ne $((prev + 1)) ]; then
            say "FAIL $label: the WAL archive has a gap after $newest (next is $name): restores from this base reach only $newest"
            return 1
        fi
        prev=$segno newest=$name n=$((n + 1))
    done < <(find "$wal_dir" -maxdepth 1 -name "$timeline*.gz" -printf '%f\n' | sed -n 's/^\([0-9A-F]\{24\}\)\.gz$/\1/p' | sort)
    say "ok $label: WAL continuous on timeline $((16#$timeline)) from $start to $newest ($n segments)"
    if compgen -G "$wal_dir/*.history.gz" >/dev/null; then
        say "note: $wal_dir holds timeline histories (a restored cluster was promoted); WAL on later timelines was not checked"
    fi
}

cmd_verify() {
    [ -d "$base_dir" ] || die "no $base_dir: nothing to verify (fleet-backup configure, then base)"
    local labels=() label mode=${FLEET_BACKUP_VERIFY:-full} failed=0
    case $mode in full | quick) ;; *) die "FLEET_BACKUP_VERIFY=$mode refused: full or quick" ;; esac
    mapfile -t labels < <(bases)
    [ ${#labels[@]} -gt 0 ] || die "no base backups in $base_dir: take one with 'fleet-backup base'"
    case ${1:-} in
        '') labels=("${labels[-1]}") ;;
        --all) ;;
        *)
            [ -f "$base_dir/$1/fleet-backup.info" ] || die "no base backup $1 in $base_dir (fleet-backup list)"
            labels=("$1")
            ;;
    esac
    lock
    for label in "${labels[@]}"; do
        if verify_dir "$base_dir/$label" "$mode"; then
            say "ok $label: $([ "$mode" = full ] && echo 'every file matches its manifest (pg_verifybackup)' || echo 'gzip intact (quick)')"
        else
            failed=1
        fi
        verify_wal_after "$label" || failed=1
    done
    [ $failed -eq 0 ] || die "verification failed (FAIL lines above)"
}

# -- base ------------------------------------------------------------------------------------

cmd_base() {
    local keep checkpoint=${FLEET_BACKUP_CHECKPOINT:-spread} verify=${FLEET_BACKUP_VERIFY:-full} wait
    keep=$(keep)
    wait=$(seconds_setting FLEET_BACKUP_ARCHIVE_WAIT 120)
    case $checkpoint in spread | fast) ;; *) die "FLEET_BACKUP_CHECKPOINT=$checkpoint refused: spread or fast" ;; esac
    case $verify in full | quick) ;; *) die "FLEET_BACKUP_VERIFY=$verify refused: full or quick" ;; esac
    need_folder
    lock
    connect
    # Named by its UTC start, to the second: names sort in time order.
    local label
    label=$(date -u +%Y%m%dT%H%M%SZ)
    while [ -e "$base_dir/$label" ]; do sleep 1; label=$(date -u +%Y%m%dT%H%M%SZ); done
    # Made beside the others under a hidden name and renamed when complete and verified: list,
    # prune and restore never see half a backup.
    local partial=$base_dir/.$label.partial
    rm -rf "$partial"
    mkdir -m 0700 "$partial"
    # shellcheck disable=SC2064 # expanded now: the path has no quotes (checked above)
    trap "rm -rf '$partial'; cleanup_passfile" EXIT
    say "base backup $label of $server into $base_dir/$label ($checkpoint checkpoint$([ "$checkpoint" = spread ] && echo ': may take minutes before copying starts; FLEET_BACKUP_CHECKPOINT=fast for now'))..."
    "$pg_bin/pg_basebackup" -d "$conninfo" -w -D "$partial" -F tar -z -X stream -c "$checkpoint" -l "fleet-backup $label" \
        || die "pg_basebackup failed (above): check the URL's host, user and password; the role needs REPLICATION, pg_hba.conf a 'replication' line for it, and the server max_wal_senders >= 2 (docs/BACKUPS.md)"
    # Restorable from here on: every commit after this moment (by the server's clock) comes after
    # the end of the backup, so a target time after it is reachable from this base.
    local stop_time stop_epoch pg_version
    IFS='|' read -r stop_time stop_epoch pg_version < <(sql "SELECT to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US') || '+00', ceil(extract(epoch FROM clock_timestamp()))::bigint, current_setting('server_version_num')::int / 10000") \
        || die "could not read the server's clock after the backup (above)"
    # The backup's start, from its own backup_label (the first member of base.tar).
    local backup_label start_wal start_time timeline
    backup_label=$(tar -xzOf "$partial/base.tar.gz" --occurrence=1 backup_label)
    start_wal=$(sed -n 's/^START WAL LOCATION: .*(file \([0-9A-F]\{24\}\))$/\1/p' <<<"$backup_label")
    start_time=$(sed -n 's/^START TIME: //p' <<<"$backup_label")
    timeline=$(sed -n 's/^START TIMELINE: //p' <<<"$backup_label")
    [ -n "$start_wal" ] || die "no START WAL LOCATION in the backup's backup_label: is it damaged?"
    verify_dir "$partial" "$verify" || die "the new base backup failed verification (above): it was removed; the older ones are kept"
    cat >"$partial/fleet-backup.info" <<EOF
label=$label
server=$server
start_time=$start_time
start_wal=$start_wal
timeline=$timeline
stop_time=$stop_time
stop_epoch=$stop_epoch
pg_version=$pg_version
verified=$verify
EOF
    sync "$partial"/*
    mv -T "$partial" "$base_dir/$label"
    sync "$base_dir"
    trap cleanup_passfile EXIT
    say "base backup $label done ($(du -sh "$base_dir/$label" | cut -f1), verified $verify), restorable from $stop_time"
    # Point-in-time restores need the WAL after the backup in the archive: the server switched to
    # a new segment at the backup's end, so its first segment is on its way to the archive.
    local waited=0
    while [ ! -f "$wal_dir/$start_wal.gz" ]; do
        if [ "$waited" -ge "$((wait * 5))" ]; then
            local archiver
            archiver=$(sql "SELECT 'archive_mode=' || current_setting('archive_mode') || ', archived ' || archived_count || ' (last ' || coalesce(last_archived_wal, 'none') || '), failed ' || failed_count || ' (last ' || coalesce(last_failed_wal, 'none') || ' at ' || coalesce(last_failed_time::text, 'never') || ')' FROM pg_stat_archiver" || echo 'pg_stat_archiver unreadable')
            die "the backup's first WAL segment $start_wal did not reach $wal_dir in ${wait}s ($archiver): WAL archiving is off or failing, so restores can reach only the end of a base backup. Run 'fleet-backup configure' (and restart PostgreSQL), and read the server's log for archive_command errors. Old backups were not pruned."
        fi
        sleep 0.2
        waited=$((waited + 1))
    done
    say "WAL archiving works: $start_wal is in $wal_dir"
    prune_locked "$keep"
}

# -- prune -----------------------------------------------------------------------------------

# KEEP: the newest KEEP base backups stay; WAL older than the oldest kept one's start goes, as
# no kept base can use it. Leftovers of interrupted runs go too (the lock is held: none running).
prune_locked() {
    local keep=$1 labels=() i oldest start f name
    mapfile -t labels < <(bases)
    find "$base_dir" -mindepth 1 -maxdepth 1 -name '.*.partial' -exec rm -rf {} +
    find "$backup_dir" -mindepth 1 -maxdepth 1 -name '.verify.*' -exec rm -rf {} +
    # A temporary file of archive-wal (which takes no lock) is in use for seconds at most.
    find "$wal_dir" -maxdepth 1 -name '.*.tmp' -mmin +60 -delete
    for ((i = 0; i < ${#labels[@]} - keep; i++)); do
        rm -rf "${base_dir:?}/${labels[i]}"
        say "pruned base backup ${labels[i]} (keeping the newest $keep)"
    done
    if [ ${#labels[@]} -eq 0 ]; then
        say "no base backup: the WAL archive is left as it is"
        return 0
    fi
    i=$((${#labels[@]} > keep ? ${#labels[@]} - keep : 0))
    oldest=${labels[i]}
    start=$(info "$oldest" start_wal)
    [[ $start =~ ^[0-9A-F]{24}$ ]] || die "base backup $oldest has no start WAL in its fleet-backup.info: WAL not pruned"
    local before after
    before=$(find "$wal_dir" -maxdepth 1 -name '*.gz' | wc -l)
    # pg_archivecleanup removes segments before START (-x: ours end in .gz); it leaves history
    # files, which a restore needs whatever their age.
    "$pg_bin/pg_archivecleanup" -x .gz "$wal_dir" "$start"
    # Backup history files (a few hundred bytes each) of backups before START.
    for f in "$wal_dir"/*.backup.gz; do
        [ -e "$f" ] || continue
        name=$(basename "$f")
        if [[ ${name:0:24} < $start ]]; then rm -f "$f"; fi
    done
    after=$(find "$wal_dir" -maxdepth 1 -name '*.gz' | wc -l)
    say "pruned $((before - after)) WAL files older than $start (the start of $oldest, the oldest base kept); $after left"
}

cmd_prune() {
    local keep
    keep=$(keep)
    need_folder
    lock
    prune_locked "$keep"
}

# -- list ------------------------------------------------------------------------------------

cmd_list() {
    [ -d "$base_dir" ] || die "no $base_dir: run 'fleet-backup configure' first"
    local labels=() label
    mapfile -t labels < <(bases)
    echo "base backups in $base_dir (keeping ${FLEET_BACKUP_KEEP:-7}):"
    if [ ${#labels[@]} -eq 0 ]; then
        echo "  none yet: fleet-backup base"
    else
        printf '  %-17s  %-26s  %-29s  %6s  %s\n' LABEL STARTED RESTORABLE-FROM SIZE VERIFIED
        for label in "${labels[@]}"; do
            printf '  %-17s  %-26s  %-29s  %6s  %s\n' "$label" "$(info "$label" start_time)" "$(info "$label" stop_time)" \
                "$(du -sh "$base_dir/$label" | cut -f1)" "$(info "$label" verified)"
        done
    fi
    local count newest
    count=$(find "$wal_dir" -maxdepth 1 -name '*.gz' | wc -l)
    newest=$(find "$wal_dir" -maxdepth 1 -name '*.gz' -printf '%T@ %f\n' | sort -n | tail -n 1 || true)
    if [ "$count" -eq 0 ]; then
        echo "WAL archive $wal_dir: empty (is archiving on? fleet-backup configure)"
    else
        echo "WAL archive $wal_dir: $count files, $(du -sh "$wal_dir" | cut -f1), newest ${newest#* } archived $(date -u -d "@${newest%% *}" '+%Y-%m-%d %H:%M:%S UTC')"
        if [ ${#labels[@]} -gt 0 ]; then
            local from until
            from=$(info "${labels[0]}" stop_epoch)
            until=${newest%%.*}
            # A moment is reachable once WAL written after it is archived (archive_timeout at most).
            if [ "$until" -ge "$from" ]; then
                echo "restorable: any moment from $(info "${labels[0]}" stop_time) to about $(date -u -d "@$until" '+%Y-%m-%d %H:%M:%S+00') (fleet-restore --target-time), later ones once archived"
            else
                echo "restorable: the end of each base backup (fleet-restore --latest); later moments once the server archives WAL written after them"
            fi
        fi
    fi
}

# --------------------------------------------------------------------------------------------

command=${1:-}
[ $# -gt 0 ] && shift
case $command in
    configure) cmd_configure "$@" ;;
    archive-wal) cmd_archive_wal "$@" ;;
    base)
        run_as_owner base "$@"
        cmd_base "$@"
        ;;
    prune)
        run_as_owner prune "$@"
        cmd_prune "$@"
        ;;
    list) cmd_list "$@" ;;
    verify) cmd_verify "$@" ;;
    *)
        sed -n '6,11p' "$self" | sed 's/^# \{0,1\}//' >&2
        exit 2
        ;;
esac
