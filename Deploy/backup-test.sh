#!/usr/bin/env bash
# The proof that backups restore (issue 19): on a throwaway cluster with WAL archiving on, a base
# backup, batch A of positions, a moment T, batch B (new rows, and changes and deletions of A's),
# then fleet-restore --target-time T into a new cluster on another port must hold exactly what
# was committed at T: batch A, none of B. Also: --latest brings B too, the restored cluster does
# not archive into the original's folder, archive-wal keeps PostgreSQL's contract, prune keeps
# FLEET_BACKUP_KEEP bases and the WAL they need, and the errors an operator can meet.
# The scripts run from a copy in a temporary folder, as the installer places them elsewhere too.
# Usage: Deploy/backup-test.sh (as root or as a user who can run initdb; about 20 s; PASS/FAIL
# lines; exits 1 at the first failure). Everything it makes is removed on exit.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
began=$SECONDS

work=$(mktemp -d /tmp/fleet-backup-test.XXXXXX)
chmod 0755 "$work" # the postgres user runs the scripts in it
restored_clusters=()
cleanup() {
    local dir
    for dir in "${restored_clusters[@]}"; do
        (cd / && "${as_pg[@]}" "$pg_bin/pg_ctl" stop -D "$dir" -m immediate -w >/dev/null 2>&1) || true
    done
    if declare -F stop_throwaway_postgres >/dev/null; then stop_throwaway_postgres; fi
    rm -rf "$work"
}
trap cleanup EXIT
# shellcheck source=Deploy/throwaway-postgres.sh
source "$here/throwaway-postgres.sh"

pass() { echo "PASS $*"; }
fail() {
    echo "FAIL $*"
    exit 1
}
# `fleet-backup` and `fleet-restore` as the installer names them, somewhere else than Deploy/.
install -d -m 0755 "$work/bin"
install -m 0755 "$here/backup.sh" "$work/bin/fleet-backup"
install -m 0755 "$here/restore.sh" "$work/bin/fleet-restore"
backup=$work/bin/fleet-backup
restore=$work/bin/fleet-restore
export FLEET_BACKUP_DIR=$work/backups
# The scripts get the password inside the URL from their environment, as from fleet.env.
export FLEET_BACKUP_DATABASE_URL=$THROWAWAY_DATABASE_URL
export FLEET_BACKUP_CHECKPOINT=fast
unset DATABASE_URL PGPASSWORD PGPASSFILE

# psql against a port of this test's clusters (the password in psql's environment only).
q() { # PORT SQL
    PGPASSWORD=$throwaway_password "$pg_bin/psql" -X -w -A -t -q -v ON_ERROR_STOP=1 \
        -d "postgres://postgres@127.0.0.1:$1/postgres?sslmode=disable" -c "$2"
}
must_fail() { # DESCRIPTION EXPECTED-TEXT COMMAND...: fails, saying EXPECTED-TEXT
    local description=$1 expected=$2 out
    shift 2
    if out=$("$@" 2>&1); then fail "$description: succeeded"; fi
    grep -qF -- "$expected" <<<"$out" || fail "$description: said '$out', not '$expected'"
    pass "$description"
}
# What a restore must reproduce: every row, in order, every column.
content="SELECT count(*) || ' rows, md5 ' || coalesce(md5(string_agg(format('%s|%s|%s|%s|%s|%s', id, batch, terminal_id, gnss_time, lat_e6, lon_e6), ';' ORDER BY id)), '-') FROM positions"

# -- settings and archive-wal's contract, before any cluster is touched -----------------------

must_fail "FLEET_BACKUP_KEEP=0 is refused with the reason" "FLEET_BACKUP_KEEP=0 refused: the number of base backups to keep, a whole number of 1 or more" \
    env FLEET_BACKUP_KEEP=0 "$backup" prune
must_fail "FLEET_BACKUP_KEEP=seven is refused" "FLEET_BACKUP_KEEP=seven refused" env FLEET_BACKUP_KEEP=seven "$backup" prune
must_fail "a relative FLEET_BACKUP_DIR is refused" "refused: an absolute path" env FLEET_BACKUP_DIR=backups "$backup" list
mkdir -p "$work/contract/wal"
segment=$work/contract/000000010000000000000042
head -c 1048576 /dev/urandom >"$segment"
FLEET_BACKUP_DIR=$work/contract "$backup" archive-wal "$segment" 000000010000000000000042 >/dev/null \
    || fail "archive-wal does not store a segment"
cmp -s <(gzip -dc "$work/contract/wal/000000010000000000000042.gz") "$segment" || fail "archive-wal stored another content"
FLEET_BACKUP_DIR=$work/contract "$backup" archive-wal "$segment" 000000010000000000000042 >/dev/null \
    || fail "archive-wal of the same segment again succeeds"
pass "archive-wal stores a segment, and the same one again succeeds (archive_command's contract)"
cp "$work/contract/wal/000000010000000000000042.gz" "$work/contract/kept.gz"
head -c 1048576 /dev/urandom >"$segment"
must_fail "archive-wal refuses to overwrite an archived segment with other content" "refusing to overwrite" \
    env FLEET_BACKUP_DIR="$work/contract" "$backup" archive-wal "$segment" 000000010000000000000042
cmp -s "$work/contract/kept.gz" "$work/contract/wal/000000010000000000000042.gz" || fail "the archived segment was changed"
[ -z "$(find "$work/contract/wal" -name '.*')" ] || fail "archive-wal left a temporary file"
must_fail "archive-wal refuses a name that is no WAL file's" "refusing to archive" \
    env FLEET_BACKUP_DIR="$work/contract" "$backup" archive-wal "$segment" ../escape

# -- configure, on the running cluster ---------------------------------------------------------

out=$("$backup" configure) || fail "configure: $out"
grep -q "RESTART NEEDED: archive_mode" <<<"$out" || fail "configure did not say a restart is needed: $out"
(cd / && "${as_pg[@]}" "$pg_bin/pg_ctl" restart -D "$throwaway_cluster" -w -m fast >/dev/null)
[ "$(q "$throwaway_port" "SHOW archive_mode")" = on ] || fail "archive_mode is not on after configure and a restart"
[ "$(stat -c %U "$FLEET_BACKUP_DIR/wal")" = "$(stat -c %U "$throwaway_cluster")" ] || fail "the WAL folder is not the server's user's"
pass "configure turns archiving on through ALTER SYSTEM, says a restart is needed, makes the folders for the server's user"

# Base backups as production takes them: a role with REPLICATION and no more, its password full
# of what a URL must escape (@ : / \ %), given percent-encoded.
q "$throwaway_port" "CREATE ROLE fleet_backup LOGIN REPLICATION PASSWORD 'p@ss:w/rd\\%x'"
export FLEET_BACKUP_DATABASE_URL="postgres://fleet_backup:p%40ss%3Aw%2Frd%5C%25x@127.0.0.1:$throwaway_port/postgres"
# Their temporary files (the password's) in a folder of their own, checked empty at the end.
export TMPDIR=$work/tmp
install -d -m 1777 "$TMPDIR"

# -- base backup, batch A, T, batch B ----------------------------------------------------------

q "$throwaway_port" "CREATE TABLE positions (id bigint PRIMARY KEY, batch text NOT NULL, terminal_id int NOT NULL,
    gnss_time timestamptz NOT NULL, lat_e6 int NOT NULL, lon_e6 int NOT NULL)"
# Rows before the base backup come back from the backup itself, those after it from the WAL.
q "$throwaway_port" "INSERT INTO positions SELECT i, 'before', i % 20, now(), 30242718 + i, 120111154 - i FROM generate_series(1, 200) i"
out=$("$backup" base 2>&1) || fail "fleet-backup base: $out"
grep -q "WAL archiving works" <<<"$out" || fail "base did not see its WAL reach the archive: $out"
if grep -qF -e 'p@ss' -e 'p%40ss' <<<"$out"; then fail "base printed the password: $out"; fi
[ "$(find "$FLEET_BACKUP_DIR/base" -mindepth 1 -maxdepth 1 | wc -l)" -eq 1 ] || fail "base made no single base backup"
first_base=$(basename "$(find "$FLEET_BACKUP_DIR/base" -mindepth 1 -maxdepth 1)")
[ "$(stat -c %U "$FLEET_BACKUP_DIR/base/$first_base")" = "$(stat -c %U "$FLEET_BACKUP_DIR")" ] || fail "the base backup is not the folder owner's"
pass "base: a base backup ($first_base), verified by pg_verifybackup, its WAL in the archive"

# Batch A: ten transactions of positions of 20 terminals.
for t in $(seq 0 9); do
    q "$throwaway_port" "INSERT INTO positions SELECT i, 'A', i % 20, now() - (i || ' s')::interval, 30250000 + i * 7, 120120000 - i * 3
        FROM generate_series(1001 + $t * 100, 1000 + ($t + 1) * 100) i"
done
expected=$(q "$throwaway_port" "$content")
# T: a whole second (the brief's form, China time), at least 0.2 s after A's last commit and
# 1.2 s before B's first; the server's clock, which stamps the commits.
q "$throwaway_port" "SELECT pg_sleep(1.2)" >/dev/null
target=$(q "$throwaway_port" "SET TIME ZONE 'Asia/Shanghai'; SELECT to_char(clock_timestamp(), 'YYYY-MM-DD HH24:MI:SSOF')")
q "$throwaway_port" "SELECT pg_sleep(1.2)" >/dev/null
# Batch B: new rows, and changes and deletions of A's rows, in several transactions.
q "$throwaway_port" "INSERT INTO positions SELECT i, 'B', i % 20, now(), 31000000 + i, 121000000 + i FROM generate_series(5001, 5500) i"
q "$throwaway_port" "UPDATE positions SET lat_e6 = 0, batch = 'B changed' WHERE id BETWEEN 1001 AND 1050"
q "$throwaway_port" "DELETE FROM positions WHERE id BETWEEN 1100 AND 1149 OR id BETWEEN 1 AND 10"
after_b=$(q "$throwaway_port" "$content")
[ "$after_b" != "$expected" ] || fail "batch B changed nothing"
# The segment holding B, to the archive.
segment=$(q "$throwaway_port" "SELECT pg_walfile_name(pg_switch_wal())")
for _ in $(seq 150); do [ -f "$FLEET_BACKUP_DIR/wal/$segment.gz" ] && break; sleep 0.2; done
[ -f "$FLEET_BACKUP_DIR/wal/$segment.gz" ] || fail "the segment $segment holding batch B did not reach the archive in 30 s"
pass "batch A ($expected) before $target, batch B after it, archived through $segment"

# -- the errors an operator can meet -----------------------------------------------------------

must_fail "restore refuses a time before every base backup, naming the oldest" "no base backup finished before 2000-01-01 00:00:00+00:00: the oldest kept, $first_base" \
    "$restore" --target-time '2000-01-01 00:00:00+00' --into "$work/never"
must_fail "restore refuses a time without its offset" "refused: YYYY-MM-DD HH:MM:SS with its offset" \
    "$restore" --target-time "${target%+*}" --into "$work/never"
must_fail "restore refuses a time past the archive's end" "before the target" \
    "$restore" --target-time '2999-01-01 00:00:00+08' --into "$work/never"
mkdir "$work/full" && touch "$work/full/PG_VERSION"
must_fail "restore refuses a folder that is not empty" "is not empty" "$restore" --target-time "$target" --into "$work/full"
[ ! -e "$work/never" ] || fail "a refused restore left $work/never behind"

# -- restore to T ------------------------------------------------------------------------------

port=$(free_port)
restored_clusters+=("$work/restored")
restore_began=$SECONDS
out=$("$restore" --target-time "$target" --into "$work/restored" --port "$port" --start 2>&1) || fail "fleet-restore to $target: $out"
restore_took=$((SECONDS - restore_began))
[ "$(q "$port" "SELECT pg_is_in_recovery()")" = f ] || fail "the restored cluster is still in recovery"
got=$(q "$port" "$content")
[ "$got" = "$expected" ] || fail "the restored cluster holds $got, not batch A's $expected"
[ "$(q "$port" "SELECT count(*) FROM positions WHERE batch LIKE 'B%'")" = 0 ] || fail "the restored cluster holds rows of batch B"
[ "$(q "$port" "SELECT count(*) FROM positions WHERE id BETWEEN 1100 AND 1149 OR id BETWEEN 1 AND 10")" = 60 ] \
    || fail "rows deleted after T are missing from the restored cluster"
pass "restored to $target on port $port in ${restore_took}s: exactly batch A ($got), no row of batch B, none of its changes or deletions"
[ "$(stat -c %U:%a "$work/restored")" = "$(stat -c %U "$throwaway_cluster"):700" ] || fail "the restored folder is not the postgres user's, mode 0700"
q "$port" "INSERT INTO positions VALUES (9999, 'after restore', 1, now(), 1, 1)" || fail "the restored cluster does not take writes"
(cd / && "${as_pg[@]}" "$pg_bin/pg_ctl" stop -D "$work/restored" -m fast -w >/dev/null)
if compgen -G "$FLEET_BACKUP_DIR/wal/*.history.gz" >/dev/null; then fail "the promoted restored cluster archived into the original's folder"; fi
pass "the restored cluster takes writes, is the postgres user's (0700) and archives nothing into the original's folder"

# -- restore to the end of the archive (the disk is lost) ---------------------------------------

port=$(free_port)
restored_clusters+=("$work/latest")
out=$("$restore" --latest --into "$work/latest" --port "$port" --start 2>&1) || fail "fleet-restore --latest: $out"
got=$(q "$port" "$content")
[ "$got" = "$after_b" ] || fail "restore --latest holds $got, not everything archived ($after_b)"
(cd / && "${as_pg[@]}" "$pg_bin/pg_ctl" stop -D "$work/latest" -m fast -w >/dev/null)
pass "restore --latest brings back everything archived, batch B too ($got)"

# -- prune, verify, list -----------------------------------------------------------------------

# Checked by gzip only here (verify --all below extracts and checks them by their manifests).
out=$(FLEET_BACKUP_VERIFY=quick "$backup" base 2>&1) || fail "second base: $out"
q "$throwaway_port" "INSERT INTO positions SELECT i, 'C', 1, now(), 1, 1 FROM generate_series(6001, 6100) i"
out=$(FLEET_BACKUP_VERIFY=quick "$backup" base 2>&1) || fail "third base: $out"
mapfile -t labels < <(find "$FLEET_BACKUP_DIR/base" -mindepth 1 -maxdepth 1 -printf '%f\n' | sort)
[ ${#labels[@]} -eq 3 ] || fail "3 base backups expected before prune, found ${#labels[@]}: ${labels[*]}"
out=$(FLEET_BACKUP_KEEP=2 "$backup" prune) || fail "prune: $out"
mapfile -t kept < <(find "$FLEET_BACKUP_DIR/base" -mindepth 1 -maxdepth 1 -printf '%f\n' | sort)
[ "${kept[*]}" = "${labels[1]} ${labels[2]}" ] || fail "FLEET_BACKUP_KEEP=2 kept ${kept[*]}, not the newest two (${labels[1]} ${labels[2]})"
start=$(sed -n 's/^start_wal=//p' "$FLEET_BACKUP_DIR/base/${kept[0]}/fleet-backup.info")
[ -f "$FLEET_BACKUP_DIR/wal/$start.gz" ] || fail "prune removed $start, the oldest kept base's first segment"
older=$(find "$FLEET_BACKUP_DIR/wal" -maxdepth 1 -name '0*.gz' ! -name '*.history.gz' -printf '%f\n' | awk -v s="${start:8}" 'substr($0, 9, 16) < s' | head -n 3)
[ -z "$older" ] || fail "prune left WAL older than $start: $older"
pass "prune with FLEET_BACKUP_KEEP=2 keeps the newest 2 of 3 base backups and no WAL before $start"
out=$("$backup" verify --all 2>&1) || fail "verify --all: $out"
[ "$(grep -c '^fleet-backup: ok .*WAL continuous' <<<"$out")" -eq 2 ] || fail "verify --all did not check both bases' WAL: $out"
out=$("$backup" list) || fail "list: $out"
grep -q "${kept[1]}" <<<"$out" || fail "list does not show ${kept[1]}: $out"
grep -q '^restorable: ' <<<"$out" || fail "list does not say what is restorable: $out"
pass "verify --all and list"
[ -z "$(ls -A "$TMPDIR")" ] || fail "temporary files left behind: $(ls -A "$TMPDIR")"
pass "no temporary file (the password's) left behind"

echo "PASS backup-test.sh: backups restore to a point in time ($((SECONDS - began))s)"
