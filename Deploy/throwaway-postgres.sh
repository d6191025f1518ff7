# Sourced by test.sh and replay-drive.sh: starts a throwaway PostgreSQL cluster (as the postgres
# user when run as root: PostgreSQL refuses root), removes it on exit, and exports its URL (with
# its generated password) as THROWAWAY_DATABASE_URL. No durability: fsync off makes CREATE
# DATABASE per test cheap.
pg_bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
throwaway_cluster=$(mktemp -d /tmp/fleet-throwaway-cluster.XXXXXX)
as_pg=()
if [ "$(id -u)" -eq 0 ]; then
    chown postgres:postgres "$throwaway_cluster"
    as_pg=(runuser -u postgres --)
fi
stop_throwaway_postgres() {
    (cd / && "${as_pg[@]}" "$pg_bin/pg_ctl" stop -D "$throwaway_cluster" -m immediate -w >/dev/null 2>&1) || true
    rm -rf "$throwaway_cluster"
}
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
throwaway_port=$(free_port)
echo "starting a throwaway PostgreSQL on port $throwaway_port..."
# A password even here (scram-sha-256, no trust): other local accounts cannot get in. It goes to
# initdb through a 0600 file of a 0700 folder, never on a command line.
throwaway_password=$(od -An -N24 -tx1 /dev/urandom | tr -d ' \n')
throwaway_secret=$(mktemp -d /tmp/fleet-throwaway-secret.XXXXXX)
printf '%s\n' "$throwaway_password" > "$throwaway_secret/pw" && chmod 600 "$throwaway_secret/pw"
if [ "$(id -u)" -eq 0 ]; then chown -R postgres:postgres "$throwaway_secret"; fi
(cd / && "${as_pg[@]}" "$pg_bin/initdb" -D "$throwaway_cluster" --auth=scram-sha-256 --pwfile="$throwaway_secret/pw" \
    -U postgres -E UTF8 --locale=C.UTF-8 >/dev/null)
rm -rf "$throwaway_secret"
# The socket in the cluster's own 0700 folder, and listening on loopback only.
(cd / && "${as_pg[@]}" "$pg_bin/pg_ctl" start -D "$throwaway_cluster" -w -l "$throwaway_cluster/server.log" \
    -o "-p $throwaway_port -c listen_addresses=127.0.0.1 -k $throwaway_cluster -c unix_socket_permissions=0700 \
        -c fsync=off -c full_page_writes=off -c max_connections=200" >/dev/null)
export THROWAWAY_DATABASE_URL="postgres://postgres:$throwaway_password@127.0.0.1:$throwaway_port/postgres"
