#!/usr/bin/env bash
# Installs fleetd as a system service (docs/INSTALL.md). Idempotent: run it again after a new
# build to upgrade; it never overwrites the settings in /etc/fleet.
#
#   Deploy/install.sh [--prefix /opt/fleet] [--from BINDIR] [--etc /etc/fleet]
#                     [--gateways 2] [--apis 2] [--leaders 2] [--user fleet]
#                     [--no-systemd] [--systemd-dir /etc/systemd/system]
#                     [--haproxy] [--haproxy-dir /etc/haproxy]
#
#   --from BINDIR   a folder holding fleetd (and gps808), e.g. .build/release; without it, fleetd
#                   is built here first (swift build -c release: build as yourself, then install
#                   with --from, rather than build as root)
#   --gateways N    gateway processes (fleetd-gateway@1..N), --apis N API processes,
#                   --leaders N dispatch-and-maintenance processes: their port files in /etc/fleet
#                   and, with --haproxy, their servers in haproxy.cfg
#   --no-systemd    no units (a container, a test); --systemd-dir writes them elsewhere
#   --haproxy       also install Deploy/haproxy.cfg as /etc/haproxy/haproxy.cfg (the previous
#                   one kept as haproxy.cfg.before-fleet)
#
# What goes where: PREFIX/bin/fleetd (gps808, fleet-backup, fleet-restore), the Swift runtime's
# libraries in PREFIX/lib (the binaries find them there: RUNPATH $ORIGIN/../lib), Sql/,
# DeviceProfiles/ and Web/ in PREFIX/share/fleet/, the settings in /etc/fleet/, the units in
# /etc/systemd/system/.
set -euo pipefail

usage() { sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2; exit 2; }
die() { echo "install.sh: $*" >&2; exit 1; }
note() { echo "  $*"; }

prefix=/opt/fleet
from=
etc=/etc/fleet
gateways=2
apis=2
leaders=2
user=fleet
systemd=yes
systemd_dir=/etc/systemd/system
haproxy=no
haproxy_dir=/etc/haproxy
while [ $# -gt 0 ]; do
    case "$1" in
        --prefix) prefix=${2:?}; shift 2 ;;
        --from) from=${2:?}; shift 2 ;;
        --etc) etc=${2:?}; shift 2 ;;
        --gateways) gateways=${2:?}; shift 2 ;;
        --apis) apis=${2:?}; shift 2 ;;
        --leaders) leaders=${2:?}; shift 2 ;;
        --user) user=${2:?}; shift 2 ;;
        --no-systemd) systemd=no; shift ;;
        --systemd-dir) systemd_dir=${2:?}; shift 2 ;;
        --haproxy) haproxy=yes; shift ;;
        --haproxy-dir) haproxy_dir=${2:?}; shift 2 ;;
        -h | --help) usage ;;
        *) echo "install.sh: unknown argument $1" >&2; usage ;;
    esac
done
for count in gateways apis leaders; do
    [[ ${!count} =~ ^[0-9]{1,2}$ ]] || die "--$count takes a number of processes, 0 to 99"
done
# haproxy.cfg declares 8 gateways and 4 APIs (their FLEET_LB_* variables).
if [ "$haproxy" = yes ] && { [ "$gateways" -gt 8 ] || [ "$apis" -gt 4 ]; }; then
    die "Deploy/haproxy.cfg declares 8 gateways and 4 APIs: add the others' server lines by hand, then install with fewer"
fi
case "$prefix$etc$systemd_dir$haproxy_dir" in *[[:space:]]*) die "paths with spaces are not supported" ;; esac
[[ $prefix == /* && $etc == /* ]] || die "--prefix and --etc take absolute paths"

root=$(cd "$(dirname "$0")/.." && pwd)
is_root=no
[ "$(id -u)" -eq 0 ] && is_root=yes

# Debian packages, installed when missing (as root; otherwise named).
need_packages() {
    local missing=()
    for pair in "$@"; do
        local test=${pair%%:*} package=${pair#*:}
        eval "$test" >/dev/null 2>&1 || missing+=("$package")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    if [ "$is_root" = yes ] && command -v apt-get >/dev/null; then
        echo "installing Debian packages: ${missing[*]}..."
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    else
        die "missing Debian packages: ${missing[*]} (apt-get install ${missing[*]})"
    fi
}

# --- The binaries -----------------------------------------------------------------------------
if [ -z "$from" ]; then
    command -v swift >/dev/null || die "no --from folder and no swift on PATH to build fleetd with"
    echo "building fleetd (swift build -c release)..."
    (cd "$root" && swift build -c release --product fleetd)
    from=$(cd "$root" && swift build -c release --show-bin-path)
fi
[ -x "$from/fleetd" ] || die "no executable fleetd in $from"
from=$(cd "$from" && pwd)

owner=()
if [ "$is_root" = yes ]; then
    if ! id -u "$user" >/dev/null 2>&1; then
        echo "creating the system user $user..."
        useradd --system --user-group --home-dir /nonexistent --no-create-home --shell /usr/sbin/nologin \
            --comment "Fleet server (fleetd)" "$user"
    fi
    owner=(-o root -g "$user")
else
    [ "$user" = "$(id -un)" ] || die "not root: run as root, or with --user $(id -un) into folders of yours"
fi
group=$(id -gn "$user")

staging=$(mktemp -d)
trap 'rm -rf "$staging"' EXIT

# Writes DEST from SRC (mode MODE) unless it already holds the same: through a temporary file
# renamed over it, so that a running fleetd keeps its binary (no "text file busy") and no
# reader sees half a file.
changed=0
put() {
    local src=$1 dest=$2 mode=$3
    if [ -f "$dest" ] && cmp -s "$src" "$dest"; then return 0; fi
    local tmp
    tmp=$(mktemp "$(dirname "$dest")/.install.XXXXXX")
    cat "$src" >"$tmp"
    chmod "$mode" "$tmp"
    mv -f "$tmp" "$dest"
    note "installed $dest"
    changed=$((changed + 1))
}

# Copies folder SRC to DEST whole, replacing what was there (files removed from the checkout
# go too), unless it is the same.
put_tree() {
    local src=$1 dest=$2
    if [ -d "$dest" ] && diff -rq "$src" "$dest" >/dev/null 2>&1; then return 0; fi
    rm -rf "$dest.new" "$dest.old"
    cp -R "$src" "$dest.new"
    find "$dest.new" -type d -exec chmod 0755 {} + && find "$dest.new" -type f -exec chmod 0644 {} +
    if [ -e "$dest" ]; then mv "$dest" "$dest.old"; fi
    mv "$dest.new" "$dest"
    rm -rf "$dest.old"
    note "installed $dest/"
    changed=$((changed + 1))
}

echo "installing into $prefix..."
install -d -m 0755 "$prefix" "$prefix/bin" "$prefix/lib" "$prefix/share" "$prefix/share/fleet" "$prefix/share/doc" "$prefix/share/doc/fleet"

# The libraries the binaries load from outside Debian's folders (the Swift runtime, from the
# toolchain, e.g. /opt/swift/usr/lib/swift/linux) are copied into PREFIX/lib, and the binaries
# look there first (RUNPATH $ORIGIN/../lib, set by patchelf): the installed fleetd runs on a
# machine without the toolchain, from a shell (fleetd migrate, terminal bind) as from systemd,
# and no LD_LIBRARY_PATH leaks into what it starts. A binary built with --static-swift-stdlib
# needs none of it.
binaries=(fleetd)
[ -x "$from/gps808" ] && binaries+=(gps808)
foreign_libraries() {
    ldd "$1" | awk '$2 == "=>" && $3 ~ /^\// { print $3 }' | while read -r library; do
        case "$library" in
            */swift/*) echo "$library" ;;
            /lib/* | /lib64/* | /usr/lib/* | /usr/lib64/*) ;;
            *) echo "$library" ;;
        esac
    done
}
libraries=()
for binary in "${binaries[@]}"; do
    if ldd "$from/$binary" | grep -q 'not found'; then
        ldd "$from/$binary" | grep 'not found' >&2
        die "$from/$binary does not find all its libraries here"
    fi
    while read -r library; do libraries+=("$library"); done < <(foreign_libraries "$from/$binary")
done
if [ ${#libraries[@]} -gt 0 ]; then
    need_packages "command -v patchelf:patchelf"
    mapfile -t libraries < <(printf '%s\n' "${libraries[@]}" | sort -u)
    for library in "${libraries[@]}"; do
        put "$(readlink -f "$library")" "$prefix/lib/$(basename "$library")" 0644
    done
fi
for binary in "${binaries[@]}"; do
    cp "$from/$binary" "$staging/$binary"
    # shellcheck disable=SC2016 # $ORIGIN is the loader's, not the shell's
    if [ ${#libraries[@]} -gt 0 ]; then patchelf --set-rpath '$ORIGIN/../lib' "$staging/$binary"; fi
    put "$staging/$binary" "$prefix/bin/$binary" 0755
done
# Written concurrently by another change: installed when they are there.
[ -f "$root/Deploy/backup.sh" ] && put "$root/Deploy/backup.sh" "$prefix/bin/fleet-backup" 0755
[ -f "$root/Deploy/restore.sh" ] && put "$root/Deploy/restore.sh" "$prefix/bin/fleet-restore" 0755
for binary in "${binaries[@]}"; do
    if ldd "$prefix/bin/$binary" | grep -q 'not found'; then
        ldd "$prefix/bin/$binary" | grep 'not found' >&2
        die "the installed $binary does not find all its libraries"
    fi
done

for folder in Sql DeviceProfiles Web; do put_tree "$root/$folder" "$prefix/share/fleet/$folder"; done
put "$root/Deploy/fleet.env.example" "$prefix/share/fleet/fleet.env.example" 0644
put "$root/docs/INSTALL.md" "$prefix/share/doc/fleet/INSTALL.md" 0644

# The console's map library comes from Debian.
need_packages "test -f /usr/share/javascript/leaflet/leaflet.js:libjs-leaflet" \
    "test -f /usr/share/javascript/leaflet/leaflet.markercluster.js:libjs-leaflet.markercluster"

# --- The settings -----------------------------------------------------------------------------
# Written once each; an operator's edits are never overwritten.
echo "settings in $etc..."
install -d -m 0750 "${owner[@]}" "$etc"
install -d -m 0700 "$etc/tls"
settings_file() {
    local dest=$1
    if [ -e "$dest" ]; then return 1; fi
    local tmp
    tmp=$(mktemp "$etc/.install.XXXXXX")
    cat >"$tmp"
    chmod 0640 "$tmp"
    [ "$is_root" = yes ] && chown "root:$group" "$tmp"
    mv "$tmp" "$dest"
    note "wrote $dest"
}
settings_file "$etc/fleet.env" <"$root/Deploy/fleet.env.example" || note "kept $etc/fleet.env"
# The port plan (docs/INSTALL.md): instance N of each kind, 1 to 99, on loopback.
for ((i = 1; i <= gateways; i++)); do
    settings_file "$etc/gateway-$i.env" <<EOF || true
# fleetd-gateway@$i: its JT/T 808 listener (HAProxy's FLEET_LB_GATEWAY$i) and its metrics and
# /health/ready (FLEET_LB_GATEWAY${i}_CHECK_PORT). Port plan: docs/INSTALL.md.
FLEET_GATEWAY_HOST=127.0.0.1
FLEET_GATEWAY_PORT=$((16800 + i))
FLEET_METRICS_HOST=127.0.0.1
FLEET_METRICS_PORT=$((19700 + i))
EOF
done
for ((i = 1; i <= apis; i++)); do
    settings_file "$etc/api-$i.env" <<EOF || true
# fleetd-api@$i: its HTTP listener, also its /health/ready (HAProxy's FLEET_LB_API$i), and its
# metrics. Port plan: docs/INSTALL.md.
FLEET_HTTP_HOST=127.0.0.1
FLEET_HTTP_PORT=$((18800 + i))
FLEET_METRICS_HOST=127.0.0.1
FLEET_METRICS_PORT=$((19800 + i))
EOF
done
for ((i = 1; i <= leaders; i++)); do
    settings_file "$etc/leader-$i.env" <<EOF || true
# fleetd-leader@$i: its metrics and /health/ready. Port plan: docs/INSTALL.md.
FLEET_METRICS_HOST=127.0.0.1
FLEET_METRICS_PORT=$((19900 + i))
EOF
done

# The files shipped name /opt/fleet, /etc/fleet and the user fleet: the ones chosen instead.
localize() {
    sed -e "s|/opt/fleet/|$prefix/|g" -e "s|/etc/fleet/|$etc/|g" -e "s|^User=fleet$|User=$user|" -e "s|^Group=fleet$|Group=$group|" "$1"
}
# haproxy.cfg with the servers of the processes set up here, the others dropped.
localized_haproxy() {
    # A server is its presetenv lines and its `.if defined(FLEET_LB_GATEWAYn)` ... `.endif` block.
    localize "$root/Deploy/haproxy.cfg" | awk -v gateways="$gateways" -v apis="$apis" '
        function beyond(line) {
            if (line ~ /^#/ || !match(line, /FLEET_LB_(GATEWAY|API)[0-9]+/)) return 0
            name = substr(line, RSTART, RLENGTH); n = name; sub(/^[^0-9]+/, "", n)
            return n + 0 > (name ~ /GATEWAY/ ? gateways : apis)
        }
        skipping { if ($0 ~ /^\.endif/) skipping = 0; next }
        /^\.if defined\(FLEET_LB_/ && beyond($0) { skipping = 1; next }
        beyond($0) { next }
        { print }'
}
localized_haproxy >"$staging/haproxy.cfg"
put "$staging/haproxy.cfg" "$prefix/share/fleet/haproxy.cfg" 0644

# --- systemd ------------------------------------------------------------------------------------
units=(fleet.target fleetd-migrate.service fleetd-gateway@.service fleetd-api@.service fleetd-leader@.service)
if [ "$systemd" = yes ]; then
    echo "systemd units in $systemd_dir..."
    install -d -m 0755 "$systemd_dir"
    before=$changed
    for unit in "${units[@]}"; do
        localize "$root/Deploy/systemd/$unit" >"$staging/$unit"
        put "$staging/$unit" "$systemd_dir/$unit" 0644
    done
    if [ "$changed" -ne "$before" ] && [ "$systemd_dir" = /etc/systemd/system ] && [ -d /run/systemd/system ]; then
        systemctl daemon-reload
        note "systemctl daemon-reload"
    fi
fi

# --- HAProxy ------------------------------------------------------------------------------------
if [ "$haproxy" = yes ]; then
    echo "HAProxy in $haproxy_dir..."
    need_packages "command -v haproxy:haproxy"
    install -d -m 0755 "$haproxy_dir"
    if [ -f "$haproxy_dir/haproxy.cfg" ] && ! grep -q 'FLEET_LB_' "$haproxy_dir/haproxy.cfg" && [ ! -e "$haproxy_dir/haproxy.cfg.before-fleet" ]; then
        cp -p "$haproxy_dir/haproxy.cfg" "$haproxy_dir/haproxy.cfg.before-fleet"
        note "kept the previous configuration as $haproxy_dir/haproxy.cfg.before-fleet"
    fi
    put "$staging/haproxy.cfg" "$haproxy_dir/haproxy.cfg" 0644
    if [ -f "$etc/tls/api.pem" ]; then
        haproxy -c -q -f "$haproxy_dir/haproxy.cfg" || die "haproxy -c refused $haproxy_dir/haproxy.cfg"
    fi
fi

# --- What is left to do -------------------------------------------------------------------------
list() { local kind=$1 count=$2; for ((i = 1; i <= count; i++)); do printf ' %s@%d' "$kind" "$i"; done; }
processes="$(list fleetd-gateway "$gateways")$(list fleetd-api "$apis")$(list fleetd-leader "$leaders")"
cat <<EOF

fleetd installed in $prefix ($changed files changed). What is left (docs/INSTALL.md):
EOF
grep -q '^DATABASE_URL=.' "$etc/fleet.env" 2>/dev/null ||
    echo "  - set DATABASE_URL in $etc/fleet.env (the schema's owner; the rest of the file explains itself)"
[ -f "$etc/tls/api.pem" ] ||
    echo "  - put the API's certificate chain and its key, one PEM file, in $etc/tls/api.pem (mode 0600)"
if [ "$haproxy" = yes ]; then
    echo "  - systemctl reload haproxy   (or restart, the first time)"
else
    echo "  - HAProxy in front: Deploy/install.sh --haproxy, or start from $prefix/share/fleet/haproxy.cfg"
fi
if [ "$systemd" = yes ]; then
    echo "  - systemctl enable --now fleet.target$processes"
fi
echo "  - check: curl -s http://127.0.0.1:$((19700 + 1))/health/ready   (gateway 1; API 1 on port $((18800 + 1)))"
