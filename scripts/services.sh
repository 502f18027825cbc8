#!/usr/bin/env bash
# Idempotent set-up of everything faasforge's pipeline and tests need on a Debian host:
# apt packages, qemu binfmt for arm64, a Docker engine, a local distribution registry and the
# public base images (pulled when Docker Hub answers, else offline stand-ins built with debootstrap).
#
#   scripts/services.sh [up]     bring up what is missing (default)
#   scripts/services.sh status   show what is up
#   scripts/services.sh down     stop what this script started (dockerd, registry)
#
# Environment:
#   FAASFORGE_SERVICES_DIR    state, logs, registry storage, cached roots
#                             (default /var/tmp/faasforge-services)
#   FAASFORGE_REGISTRY_PORT   local registry port on 127.0.0.1 (default 5000)
#   scripts/services.sh overlay  print the systems overlay to use (stand-ins in use), else nothing
#
#   FAASFORGE_PUBLIC_BASES    public base images to pull when Docker Hub answers (default: the
#                             python/node slim images of the versions the demo and tests use)
#   FAASFORGE_DOCKER_HUB      "off" skips the Docker Hub probe (offline stand-ins straight away)
#   FAASFORGE_DOCKER_HUB_URL  the registry API the probe asks (default https://registry-1.docker.io/v2/;
#                             a mirror's, or a test registry's, /v2/)
#   FAASFORGE_BASE_IMAGES     base images to build (default: python and nodejs -x64 and -arm64; java,
#                             java-build, cpp and cpp-build -x64, and -arm64 too with
#                             FAASFORGE_JVM_CPP_ARM64=1; see scripts/base-image.sh keys;
#                             empty for none). The Java and C++ ones derive from the python root.
#                             When the public images were pulled, the python-* and nodejs-*
#                             stand-ins are not built.
#   FAASFORGE_BUILD_JOBS      base images built at once (default 4)
#   FAASFORGE_STANDINS        test stand-ins for the clouds' base images to ensure (scripts/standins.sh;
#                             default: all of them; empty for none)
#   DOCKER_HOST               engine to use; a local dockerd is started only for a unix socket
set -euo pipefail
export PATH="$PATH:/usr/local/sbin:/usr/sbin:/sbin"

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SERVICES_DIR=${FAASFORGE_SERVICES_DIR:-/var/tmp/faasforge-services}
REGISTRY_PORT=${FAASFORGE_REGISTRY_PORT:-5000}
REGISTRY_ADDR=127.0.0.1:$REGISTRY_PORT
# The arm64 Java/C++ bases take ~25 min under QEMU on 2 cores: only with FAASFORGE_JVM_CPP_ARM64=1
# (then tests/integration/test_java_cpp_images.py builds and calls arm64 Java/C++ images too).
JVM_CPP_ARM64=""
[[ ${FAASFORGE_JVM_CPP_ARM64:-} == 1 ]] && JVM_CPP_ARM64="java-arm64 java-build-arm64 cpp-arm64 cpp-build-arm64"
BASE_IMAGES=${FAASFORGE_BASE_IMAGES-python-x64 python-arm64 nodejs-x64 nodejs-arm64 java-x64 java-build-x64 \
cpp-x64 cpp-build-x64 $JVM_CPP_ARM64}
BUILD_JOBS=${FAASFORGE_BUILD_JOBS:-4}
PUBLIC_BASES=${FAASFORGE_PUBLIC_BASES-python:3.11-slim python:3.12-slim node:18-slim node:22-slim arm64v8/python:3.11-slim arm64v8/python:3.12-slim arm64v8/node:18-slim arm64v8/node:22-slim}
HUB_URL=${FAASFORGE_DOCKER_HUB_URL:-https://registry-1.docker.io/v2/}
BASE_MODE_FILE=$SERVICES_DIR/base-images.mode # "public" or "stand-ins": which systems the tests use
OFFLINE_OVERLAY=$(cd "$SCRIPT_DIR/.." && pwd)/config/systems.offline.json
BINFMT_DIR=/proc/sys/fs/binfmt_misc
export FAASFORGE_SERVICES_DIR=$SERVICES_DIR

# package -> a command it provides (checked instead of dpkg so other installs count too)
PACKAGES=(
    docker.io:dockerd
    docker.io:docker
    docker-registry:docker-registry
    qemu-user-static:qemu-aarch64-static
    debootstrap:debootstrap
    apache2-utils:htpasswd
    openssl:openssl
    curl:curl
)

log() { printf '[services] %s\n' "$*"; }
warn() { printf '[services] warning: %s\n' "$*" >&2; }
die() { printf '[services] error: %s\n' "$*" >&2; exit 1; }
now() { date +%s; }

host_arch() { dpkg --print-architecture 2>/dev/null || uname -m; }

foreign_qemu_arches() { # qemu names of the architectures the host cannot run natively
    case $(host_arch) in
        amd64 | x86_64) echo aarch64 ;;
        arm64 | aarch64) echo x86_64 ;;
        *) echo "aarch64 x86_64" ;;
    esac
}

# ---------------------------------------------------------------------------- 1. packages
ensure_packages() {
    local missing=() entry
    for entry in "${PACKAGES[@]}"; do
        command -v "${entry#*:}" >/dev/null 2>&1 || missing+=("${entry%%:*}")
    done
    local q
    for q in $(foreign_qemu_arches); do # the x86_64 emulator on arm64 hosts comes from the same package
        command -v "qemu-$q-static" >/dev/null 2>&1 || missing+=(qemu-user-static)
    done
    ((${#missing[@]})) || return 0
    mapfile -t missing < <(printf '%s\n' "${missing[@]}" | sort -u)
    command -v apt-get >/dev/null || die "missing ${missing[*]} and no apt-get to install them"
    log "installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get -qq update
    apt-get -qq install -y --no-install-recommends "${missing[@]}" >/dev/null
    # On systemd hosts the package starts its own registry (all interfaces, htpasswd auth) on
    # :5000; this script serves its own on 127.0.0.1 instead.
    if [[ " ${missing[*]} " == *" docker-registry "* ]] && command -v systemctl >/dev/null \
        && systemctl is-active --quiet docker-registry 2>/dev/null; then
        log "stopping and disabling the docker-registry system service"
        systemctl disable --now docker-registry >/dev/null 2>&1 || true
    fi
}

# ---------------------------------------------------------------------------- 2. binfmt_misc
binfmt_line() { # qemu arch -> a registration line for $BINFMT_DIR/register, with the F flag
    local q=$1
    local conf=/usr/lib/binfmt.d/qemu-$q.conf share=/usr/share/binfmts/qemu-$q line=""
    if [[ -r $conf ]]; then
        line=$(grep -v '^[[:space:]]*[#;]' "$conf" | grep -m1 "^:qemu-$q:" || true)
    fi
    if [[ -z $line && -r $share ]]; then # update-binfmts format
        line=$(awk -v name="qemu-$q" '
            { v[$1] = $2 }
            END { flags = (v["preserve"] == "yes" ? "P" : "") (v["credentials"] == "yes" ? "C" : "")
                  printf ":%s:M:%s:%s:%s:%s:%s\n", name, v["offset"], v["magic"], v["mask"], v["interpreter"], flags }' "$share")
    fi
    [[ -n $line ]] || die "no binfmt registration for qemu-$q (is qemu-user-static installed?)"
    local f
    IFS=: read -r -a f <<<"$line" # "" name type offset magic mask interpreter flags
    if [[ ! -e ${f[6]} ]]; then    # fall back to the static binary itself
        f[6]=$(command -v "qemu-$q-static") || die "qemu-$q-static not found"
        f[7]=${f[7]//P/} # without Debian's -P wrapper, argv[0] cannot be preserved
    fi
    # F: the kernel opens the interpreter now, so it works inside containers and chroots
    [[ ${f[7]:-} == *F* ]] || f[7]=${f[7]:-}F
    (IFS=:; printf '%s\n' "${f[*]:0:8}")
}

binfmt_ok() { # qemu arch
    local entry=$BINFMT_DIR/qemu-$1
    [[ -r $entry ]] && [[ "$(head -n1 "$entry")" == enabled ]] && grep -q '^flags:.*F' "$entry"
}

ensure_binfmt() {
    if ! mountpoint -q "$BINFMT_DIR"; then
        log "mounting binfmt_misc"
        mount -t binfmt_misc binfmt_misc "$BINFMT_DIR" \
            || die "cannot mount $BINFMT_DIR (a privileged host or container is needed)"
    fi
    local q entry
    for q in $(foreign_qemu_arches); do
        binfmt_ok "$q" && continue
        entry=$BINFMT_DIR/qemu-$q
        if [[ -e $entry ]] && grep -q '^flags:.*F' "$entry"; then
            log "enabling qemu-$q in binfmt_misc"
            echo 1 >"$entry"
        else
            if [[ -e $entry ]]; then # registered without F: replace it
                log "re-registering qemu-$q with the F (fix-binary) flag"
                echo -1 >"$entry"
            else
                log "registering qemu-$q in binfmt_misc"
            fi
            binfmt_line "$q" >"$BINFMT_DIR/register"
        fi
        binfmt_ok "$q" || die "qemu-$q is not enabled with the F flag in $BINFMT_DIR"
    done
}

# ---------------------------------------------------------------------------- 3. Docker engine
engine_version() { timeout 15 docker version -f '{{.Server.Version}}' 2>/dev/null; }

ensure_docker() {
    engine_version >/dev/null && return 0
    local sock=/var/run/docker.sock
    if [[ -n ${DOCKER_HOST:-} ]]; then
        [[ $DOCKER_HOST == unix://* ]] \
            || die "DOCKER_HOST=$DOCKER_HOST does not answer and is not a local socket to start"
        sock=${DOCKER_HOST#unix://}
    fi
    command -v dockerd >/dev/null || die "dockerd not found"
    log "starting dockerd on unix://$sock (log: $SERVICES_DIR/dockerd.log)"
    # Own session so it outlives the caller; fd 9 (our lock) closed so it is not held forever.
    setsid nohup dockerd --iptables=false --ip-masq=false --bridge=none -H "unix://$sock" \
        --pidfile "$SERVICES_DIR/dockerd.pid" >>"$SERVICES_DIR/dockerd.log" 2>&1 </dev/null 9>&- &
    local pid=$! i
    for ((i = 0; i < 120; i++)); do
        engine_version >/dev/null && { log "dockerd answers after $(((i + 1) / 2))s"; return 0; }
        kill -0 "$pid" 2>/dev/null || { tail -n 30 "$SERVICES_DIR/dockerd.log" >&2; die "dockerd exited"; }
        sleep 0.5
    done
    tail -n 30 "$SERVICES_DIR/dockerd.log" >&2
    die "dockerd did not answer within 60s"
}

# ---------------------------------------------------------------------------- 4. registry
registry_ok() { curl -fsS --noproxy '*' --max-time 3 -o /dev/null "http://$REGISTRY_ADDR/v2/" 2>/dev/null; }

ensure_registry() {
    registry_ok && return 0
    local dir=$SERVICES_DIR/registry
    mkdir -p "$dir/data"
    cat >"$dir/config.yml" <<EOF
version: 0.1
log:
  level: info
  fields:
    service: registry
storage:
  filesystem:
    rootdirectory: $dir/data
  delete:
    enabled: true
  cache:
    blobdescriptor: inmemory
http:
  addr: $REGISTRY_ADDR
  headers:
    X-Content-Type-Options: [nosniff]
health:
  storagedriver:
    enabled: true
    interval: 10s
    threshold: 3
EOF
    log "starting docker-registry on $REGISTRY_ADDR (log: $SERVICES_DIR/registry.log)"
    setsid nohup docker-registry serve "$dir/config.yml" >>"$SERVICES_DIR/registry.log" 2>&1 </dev/null 9>&- &
    local pid=$! i
    echo "$pid" >"$SERVICES_DIR/registry.pid"
    for ((i = 0; i < 60; i++)); do
        registry_ok && return 0
        kill -0 "$pid" 2>/dev/null || { tail -n 20 "$SERVICES_DIR/registry.log" >&2; die "docker-registry exited (port $REGISTRY_PORT in use?)"; }
        sleep 0.5
    done
    die "docker-registry did not answer on http://$REGISTRY_ADDR/v2/ within 30s"
}

# ---------------------------------------------------------------------------- 5. base images
# Public images (python:3.x-slim, node:x-slim, as SeBS's local platform) when Docker Hub answers;
# else offline stand-ins from Debian packages under names of their own (faasforge/base-*), which
# config/systems.offline.json points the local platform at. Never a Debian build under an
# official image's name.
hub_answers() { # a fast probe: DNS failure or no answer within 5 s means offline
    [[ ${FAASFORGE_DOCKER_HUB:-} != off ]] || return 1
    local code
    code=$(curl -sS -o /dev/null -w '%{http_code}' --max-time 5 "$HUB_URL" 2>/dev/null) || return 1
    [[ $code == 200 || $code == 401 ]]
}

pull_public_bases() {
    local image platform failed=0
    for image in $PUBLIC_BASES; do
        platform=linux/amd64
        [[ $image == arm64v8/* ]] && platform=linux/arm64
        docker image inspect "$image" >/dev/null 2>&1 && continue
        log "pulling $image ($platform)"
        timeout 600 docker pull -q --platform "$platform" "$image" >/dev/null || { warn "pull of $image failed"; failed=1; }
    done
    return $failed
}

ensure_bases() {
    if hub_answers && pull_public_bases; then
        echo public >"$BASE_MODE_FILE"
        log "public base images ready: $PUBLIC_BASES"
        local key rest=()
        for key in $BASE_IMAGES; do [[ $key == python-* || $key == nodejs-* ]] || rest+=("$key"); done
        BASE_IMAGES="${rest[*]}" # the Java/C++ ones still come from here
        ensure_base_images
        return 0
    fi
    log "Docker Hub does not answer: offline stand-ins (systems overlay $OFFLINE_OVERLAY)"
    ensure_base_images
    echo stand-ins >"$BASE_MODE_FILE"
}

overlay() { # the overlay the tests and the demo use: stand-ins unless public images were pulled
    [[ $(cat "$BASE_MODE_FILE" 2>/dev/null) == public ]] || echo "$OFFLINE_OVERLAY"
}

ensure_base_images() {
    local key todo=() ordered=()
    # arm64 first: the emulated ones take longest
    for key in $BASE_IMAGES; do [[ $key == *arm64 ]] && ordered+=("$key"); done
    for key in $BASE_IMAGES; do [[ $key == *arm64 ]] || ordered+=("$key"); done
    for key in "${ordered[@]}"; do
        "$SCRIPT_DIR/base-image.sh" tag "$key" >/dev/null # validates the key
        "$SCRIPT_DIR/base-image.sh" check "$key" || todo+=("$key")
    done
    ((${#todo[@]})) || return 0

    local logdir=$SERVICES_DIR/logs t0 failed=() running=0 pid done_pid
    declare -A job_key=()
    mkdir -p "$logdir"
    t0=$(now)
    log "building base images: ${todo[*]} (up to $BUILD_JOBS at once; logs in $logdir)"
    for key in "${todo[@]}"; do
        if ((running >= BUILD_JOBS)); then
            wait -n -p done_pid && rc=0 || rc=$?
            report_build "${job_key[$done_pid]}" "$rc" || failed+=("${job_key[$done_pid]}")
            running=$((running - 1))
        fi
        "$SCRIPT_DIR/base-image.sh" build "$key" >"$logdir/base-$key.log" 2>&1 9>&- &
        pid=$!
        job_key[$pid]=$key
        running=$((running + 1))
    done
    while ((running > 0)); do
        wait -n -p done_pid && rc=0 || rc=$?
        report_build "${job_key[$done_pid]}" "$rc" || failed+=("${job_key[$done_pid]}")
        running=$((running - 1))
    done
    ((${#failed[@]} == 0)) || die "base image build failed: ${failed[*]}"
    log "base images ready in $(($(now) - t0))s"
}

report_build() { # KEY RC
    local logf=$SERVICES_DIR/logs/base-$1.log
    if [[ $2 -eq 0 ]]; then
        grep -E '^(==>|verified)' "$logf" | sed 's/^/[services]   /'
        return 0
    fi
    warn "building $1 failed (exit $2); last lines of $logf:"
    tail -n 25 "$logf" | sed 's/^/    /' >&2
    return 1
}

# ---------------------------------------------------------------------------- 6. stand-ins
ensure_standins() { # the clouds' runtime clients on the local bases, for tests (scripts/standins.sh)
    local keys
    keys=${FAASFORGE_STANDINS-$("$SCRIPT_DIR/standins.sh" keys)}
    [[ -n $keys ]] || return 0
    # shellcheck disable=SC2086 # a list of keys
    "$SCRIPT_DIR/standins.sh" up $keys
}

# ---------------------------------------------------------------------------- status / down
status() {
    local v q key tag info
    if v=$(engine_version); then
        echo "engine:    Docker $v ($(docker context inspect -f '{{.Endpoints.docker.Host}}' 2>/dev/null || echo "${DOCKER_HOST:-unix:///var/run/docker.sock}"))"
    else
        echo "engine:    not answering"
    fi
    if registry_ok; then
        echo "registry:  http://$REGISTRY_ADDR (answers /v2/)"
    else
        echo "registry:  http://$REGISTRY_ADDR not answering"
    fi
    for q in $(foreign_qemu_arches); do
        if [[ -r $BINFMT_DIR/qemu-$q ]]; then
            echo "binfmt:    qemu-$q $(head -n1 "$BINFMT_DIR/qemu-$q"), $(grep '^flags:' "$BINFMT_DIR/qemu-$q")"
        else
            echo "binfmt:    qemu-$q not registered"
        fi
    done
    for key in $BASE_IMAGES; do
        tag=$("$SCRIPT_DIR/base-image.sh" tag "$key")
        if [[ -n $v ]] && info=$(docker image inspect -f '{{.Architecture}} {{.Size}}' "$tag" 2>/dev/null); then
            printf 'image:     %-36s %s, %s MB\n' "$tag" "${info% *}" "$((${info#* } / 1000000))"
        else
            printf 'image:     %-36s missing\n' "$tag"
        fi
    done
}

stop_pidfile() { # NAME PIDFILE EXPECTED-COMM
    local pid i
    [[ -f $2 ]] || return 0
    pid=$(cat "$2")
    if [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null && [[ "$(cat "/proc/$pid/comm" 2>/dev/null)" == "$3"* ]]; then
        log "stopping $1 (pid $pid)"
        kill -TERM "$pid"
        for ((i = 0; i < 60; i++)); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.5
        done
        if kill -0 "$pid" 2>/dev/null; then
            warn "$1 did not stop within 30s; killing it"
            kill -KILL "$pid" 2>/dev/null || true
        fi
    fi
    rm -f "$2"
}

down() {
    stop_pidfile docker-registry "$SERVICES_DIR/registry.pid" docker-registry
    stop_pidfile dockerd "$SERVICES_DIR/dockerd.pid" dockerd
}

# ---------------------------------------------------------------------------- main
need_root() {
    [[ $EUID -eq 0 ]] && return 0
    command -v sudo >/dev/null || die "must run as root"
    exec sudo -E "$0" "$@"
}

main() {
    local cmd=${1:-up}
    case $cmd in
        up)
            need_root "$@"
            local t0
            t0=$(now)
            mkdir -p "$SERVICES_DIR"
            exec 9>"$SERVICES_DIR/up.lock"
            flock 9 # one `up` at a time (parallel CI steps, make -j)
            ensure_packages
            ensure_binfmt
            ensure_docker
            ensure_registry
            ensure_bases
            ensure_standins
            status
            log "up in $(($(now) - t0))s"
            ;;
        status) status ;;
        overlay) overlay ;;
        down)
            need_root "$@"
            down
            ;;
        -h | --help | help) sed -n '2,/^set -euo/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//' ;;
        *) die "unknown command '$cmd' (use up, status, overlay or down)" ;;
    esac
}

main "$@"
