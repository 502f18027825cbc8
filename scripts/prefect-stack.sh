#!/usr/bin/env bash
# A real Prefect stack for faasforge on one host, everything on 127.0.0.1: PostgreSQL (Debian's),
# `prefect server start` on it, a process work pool with one queue per architecture, the global
# build limit, a results block, and one process worker per architecture queue, each with its own
# Docker engine setting (DOCKER_HOST). Idempotent: `up` starts only what is not running.
#
#   scripts/prefect-stack.sh up               start (or keep) postgres, server, set-up, workers
#   scripts/prefect-stack.sh deploy           prefect deploy --all (prefect.yaml) against it
#   scripts/prefect-stack.sh status           what runs, and where
#   scripts/prefect-stack.sh env              the settings clients need (KEY=value lines)
#   scripts/prefect-stack.sh down [--purge]   stop workers, server, postgres (--purge: delete state)
#   scripts/prefect-stack.sh ensure-browser   install Debian's chromium (for the UI test) if missing
#
# Environment:
#   FAASFORGE_STACK_DIR          state, logs, database (default /var/tmp/faasforge-prefect-stack);
#                                must be reachable by the postgres user (not under a 0700 dir)
#   FAASFORGE_PREFECT_PORT       server port (default: a free port, kept across restarts)
#   FAASFORGE_PG_PORT            PostgreSQL port (default: a free port, never 5432)
#   FAASFORGE_WORKERS            queues to start a worker for (default "x64 arm64"; "" for none)
#   FAASFORGE_X64_DOCKER_HOST    engine of the x64 worker   (default $DOCKER_HOST or the socket)
#   FAASFORGE_ARM64_DOCKER_HOST  engine of the arm64 worker (default $DOCKER_HOST or the socket)
#   FAASFORGE_GLOBAL_BUILD_LIMIT global concurrency limit name (default faasforge-docker-builds)
#   FAASFORGE_GLOBAL_BUILD_SLOTS its size (default 2)
#   FAASFORGE_CHECKOUT           the clone workers run flows from (default: this repository)
#   FAASFORGE_PYTHON             interpreter with faasforge and prefect (default python3)
#   PREFECT_*                    passed through to server and workers, e.g.
#                                PREFECT_SERVER_SERVICES_SCHEDULER_ENABLED=false,
#                                PREFECT_WORKER_QUERY_SECONDS=2
set -euo pipefail
export PATH="$PATH:/usr/local/sbin:/usr/sbin:/sbin"

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_DIR=$(cd "$SCRIPT_DIR/.." && pwd)
STACK_DIR=${FAASFORGE_STACK_DIR:-/var/tmp/faasforge-prefect-stack}
WORKERS=${FAASFORGE_WORKERS-x64 arm64}
GLOBAL_LIMIT=${FAASFORGE_GLOBAL_BUILD_LIMIT:-faasforge-docker-builds}
GLOBAL_SLOTS=${FAASFORGE_GLOBAL_BUILD_SLOTS:-2}
CHECKOUT=${FAASFORGE_CHECKOUT:-$REPO_DIR}
PY=${FAASFORGE_PYTHON:-$(command -v python3 || command -v python)}
POOL=faasforge
RESULTS_BLOCK=faasforge-results
PG_DIR=$STACK_DIR/postgres
DEFAULT_ENGINE=${DOCKER_HOST:-unix:///var/run/docker.sock}

log() { printf '[prefect-stack] %s\n' "$*" >&2; }
die() { printf '[prefect-stack] error: %s\n' "$*" >&2; exit 1; }
now_ms() { date +%s%3N; }
secs_since() { local d=$(($(now_ms) - $1)); printf '%d.%01d' $((d / 1000)) $((d % 1000 / 100)); }

free_port() { # a free TCP port on 127.0.0.1 (never 5432)
    "$PY" - <<'EOF'
import socket
while True:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    if port != 5432:
        print(port)
        break
EOF
}

port_free() { # PORT -> 0 when nothing listens on 127.0.0.1:PORT
    "$PY" -c "import socket,sys; s=socket.socket(); sys.exit(0 if s.connect_ex(('127.0.0.1', int(sys.argv[1]))) else 1)" "$1"
}

remember_port() { # FILE OVERRIDE -> the port in FILE, else OVERRIDE, else a free one (written to FILE)
    local file=$1 override=$2 port=""
    [[ -s $file ]] && port=$(cat "$file")
    [[ -n $override ]] && port=$override
    [[ -n $port ]] || port=$(free_port)
    echo "$port" >"$file"
    echo "$port"
}

pid_alive() { # PIDFILE PATTERN -> 0 if the pid in PIDFILE runs a command line matching PATTERN
    local pid
    [[ -s $1 ]] || return 1
    pid=$(cat "$1")
    [[ -r /proc/$pid/cmdline ]] || return 1
    tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q -- "$2"
}

running() { # PID -> 0 while it runs (a zombie does not)
    local stat
    stat=$(ps -o stat= -p "$1" 2>/dev/null) && [[ -n $stat && $stat != Z* ]]
}

await_up() { # WHAT FILES SECONDS T0 CHECK...: poll CHECK every 0.5 s until it succeeds; die with the
    # tail of FILES.log when the process of FILES.pid exits or SECONDS pass first
    local what=$1 files=$2 seconds=$3 t0=$4 pid i
    shift 4
    pid=$(cat "$files.pid")
    for ((i = 0; i < seconds * 2; i++)); do
        if "$@"; then
            log "$what up after $(secs_since "$t0")s"
            return 0
        fi
        running "$pid" || { tail -n 30 "$files.log" >&2; die "$what exited"; }
        sleep 0.5
    done
    tail -n 30 "$files.log" >&2
    die "$what was not up within $seconds s"
}

spawn() { # LOG PIDFILE CMD...: CMD in a session of its own, outliving this script
    # Background jobs of a non-interactive shell ignore SIGINT, and Prefect's workers stop on
    # SIGTERM by sending themselves SIGINT: restore its default before exec. fd 9 (our lock) closed.
    local logf=$1 pidfile=$2
    shift 2
    nohup "$PY" -c 'import os, signal, sys
signal.signal(signal.SIGINT, signal.SIG_DFL)
os.setsid()
os.execvp(sys.argv[1], sys.argv[1:])' "$@" >>"$logf" 2>&1 </dev/null 9>&- &
    echo $! >"$pidfile"
}

group_alive() { # PGID -> 0 while a process of the group runs (zombies do not count)
    ps -e -o pgid=,stat= | awk -v g="$1" '$1 == g && $2 !~ /^Z/ { found = 1 } END { exit !found }'
}

stop_group() { # NAME PIDFILE PATTERN: TERM the process group we started, then KILL after 20 s
    local name=$1 pidfile=$2 pattern=$3 pid i
    if pid_alive "$pidfile" "$pattern"; then
        pid=$(cat "$pidfile")
        log "stopping $name (pid $pid and its children)"
        kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
        for ((i = 0; i < 40; i++)); do
            group_alive "$pid" || break
            sleep 0.5
        done
        if group_alive "$pid"; then
            log "$name did not stop in 20 s; killing its process group"
            kill -KILL -- "-$pid" 2>/dev/null || true
        fi
    fi
    rm -f "$pidfile"
}

# ------------------------------------------------------------------------------ packages
apt_install() {
    [[ $EUID -eq 0 ]] || die "missing $*; install it (apt-get install $*) or run as root"
    command -v apt-get >/dev/null || die "missing $* and no apt-get to install it"
    log "installing $*"
    export DEBIAN_FRONTEND=noninteractive
    apt-get -qq update
    # keep a createcluster.conf written below (no prompt about the package's own version)
    apt-get -qq install -y --no-install-recommends \
        -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold "$@" >/dev/null
}

pg_bin() { # the newest installed PostgreSQL's bin directory
    local d newest=""
    for d in /usr/lib/postgresql/*/bin; do
        [[ -x $d/pg_ctl ]] && newest=$(printf '%s\n%s\n' "$newest" "$d" | sort -V | tail -n1)
    done
    [[ -n $newest ]] && echo "$newest"
}

ensure_postgres_package() {
    pg_bin >/dev/null && return 0
    # Debian's package would create and start a "main" cluster on 5432; this stack runs its own.
    if [[ $EUID -eq 0 && ! -e /etc/postgresql-common/createcluster.conf ]]; then
        mkdir -p /etc/postgresql-common
        echo "create_main_cluster = false" >/etc/postgresql-common/createcluster.conf
    fi
    apt_install postgresql
    pg_bin >/dev/null || die "postgresql installed but no /usr/lib/postgresql/*/bin/pg_ctl"
}

ensure_browser() {
    [[ -x /usr/bin/chromium ]] && return 0
    apt_install chromium fonts-liberation
    [[ -x /usr/bin/chromium ]] || die "chromium installed but /usr/bin/chromium is missing"
}

# ------------------------------------------------------------------------------ postgres
as_pg() { # run as the postgres user when root (postgres refuses to run as root)
    if [[ $EUID -eq 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi
}

pg_port() { cat "$PG_DIR/port"; }

pg_ready() { as_pg "$(pg_bin)/pg_isready" -q -h 127.0.0.1 -p "$(pg_port)" 2>/dev/null; }

ensure_postgres() {
    ensure_postgres_package
    local bin t0 port
    bin=$(pg_bin)
    mkdir -p "$PG_DIR"
    chmod 755 "$STACK_DIR"
    [[ $EUID -eq 0 ]] && chown postgres:postgres "$PG_DIR"
    port=$(remember_port "$PG_DIR/port" "${FAASFORGE_PG_PORT:-}")
    if [[ -f $PG_DIR/data/postmaster.pid ]] && pg_ready; then
        return 0
    fi
    t0=$(now_ms)
    if [[ ! -f $PG_DIR/data/PG_VERSION ]]; then
        as_pg test -x "$PG_DIR" || die "the postgres user cannot reach $PG_DIR; use a FAASFORGE_STACK_DIR outside private (0700) directories"
        umask 077
        head -c 24 /dev/urandom | base64 | tr -d '/+=\n' >"$PG_DIR/password"
        umask 022
        [[ $EUID -eq 0 ]] && chown postgres:postgres "$PG_DIR/password"
        log "initdb $PG_DIR/data ($("$bin/postgres" --version))"
        as_pg "$bin/initdb" -D "$PG_DIR/data" -U postgres -E UTF8 --locale=C \
            --auth-local=trust --auth-host=scram-sha-256 --pwfile="$PG_DIR/password" \
            >"$PG_DIR/initdb.log" 2>&1 || { cat "$PG_DIR/initdb.log" >&2; die "initdb failed"; }
    fi
    port_free "$port" || die "port $port on 127.0.0.1 is taken; set FAASFORGE_PG_PORT"
    mkdir -p "$PG_DIR/socket"
    [[ $EUID -eq 0 ]] && chown postgres:postgres "$PG_DIR/socket"
    log "starting PostgreSQL on 127.0.0.1:$port"
    as_pg "$bin/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/postgres.log" -w -t 60 \
        -o "-c listen_addresses=127.0.0.1 -p $port -k $PG_DIR/socket -c max_connections=200" \
        start >/dev/null 9>&- || { tail -n 20 "$PG_DIR/postgres.log" >&2; die "PostgreSQL did not start"; }
    if ! as_pg "$bin/psql" -h "$PG_DIR/socket" -p "$port" -U postgres -tAc \
        "SELECT 1 FROM pg_database WHERE datname = 'prefect'" | grep -q 1; then
        as_pg "$bin/createdb" -h "$PG_DIR/socket" -p "$port" -U postgres prefect
    fi
    log "PostgreSQL ready in $(secs_since "$t0")s"
}

stop_postgres() {
    local bin
    bin=$(pg_bin) || return 0
    if [[ -f $PG_DIR/data/postmaster.pid ]]; then
        log "stopping PostgreSQL"
        as_pg "$bin/pg_ctl" -D "$PG_DIR/data" -m fast -w -t 60 stop >/dev/null || true
    fi
}

database_url() {
    printf 'postgresql+asyncpg://postgres:%s@127.0.0.1:%s/prefect' "$(cat "$PG_DIR/password")" "$(pg_port)"
}

# ------------------------------------------------------------------------------ server
server_port() { cat "$STACK_DIR/server.port"; }
api_url() { echo "http://127.0.0.1:$(server_port)/api"; }
server_ok() { curl -fsS --noproxy '*' --max-time 3 "$(api_url)/health" 2>/dev/null | grep -q true; }

ensure_server() {
    local port t0
    port=$(remember_port "$STACK_DIR/server.port" "${FAASFORGE_PREFECT_PORT:-}")
    if pid_alive "$STACK_DIR/server.pid" "prefect server start" && server_ok; then
        return 0
    fi
    stop_group "Prefect server" "$STACK_DIR/server.pid" "prefect server start"
    port_free "$port" || die "port $port on 127.0.0.1 is taken; set FAASFORGE_PREFECT_PORT"
    mkdir -p "$STACK_DIR/server-home"
    t0=$(now_ms)
    log "starting Prefect server on http://127.0.0.1:$port (log: $STACK_DIR/server.log)"
    spawn "$STACK_DIR/server.log" "$STACK_DIR/server.pid" \
        env -u PREFECT_API_URL -u PREFECT_API_KEY \
        PREFECT_HOME="$STACK_DIR/server-home" \
        PREFECT_API_DATABASE_CONNECTION_URL="$(database_url)" \
        PREFECT_SERVER_ANALYTICS_ENABLED=false \
        PREFECT_UI_API_URL="http://127.0.0.1:$port/api" \
        "$PY" -m prefect server start --host 127.0.0.1 --port "$port"
    await_up "Prefect server" "$STACK_DIR/server" 120 "$t0" server_ok
    secs_since "$t0" >"$STACK_DIR/server.start-seconds"
}

# ------------------------------------------------------------------------------ set-up, workers
write_env() {
    umask 077
    cat >"$STACK_DIR/stack.env" <<EOF
PREFECT_API_URL=$(api_url)
FAASFORGE_PREFECT_UI=http://127.0.0.1:$(server_port)
FAASFORGE_PG_PORT=$(pg_port)
FAASFORGE_PREFECT_PORT=$(server_port)
FAASFORGE_GLOBAL_BUILD_LIMIT=$GLOBAL_LIMIT
PREFECT_DEFAULT_RESULT_STORAGE_BLOCK=local-file-system/$RESULTS_BLOCK
PREFECT_API_DATABASE_CONNECTION_URL=$(database_url)
EOF
    umask 022
}

ensure_setup() {
    local queues=(default) q
    for q in x64 arm64 $WORKERS; do [[ " ${queues[*]} " == *" $q "* ]] || queues+=("$q"); done
    mkdir -p "$STACK_DIR/results"
    PREFECT_API_URL=$(api_url) PREFECT_HOME="$STACK_DIR/client-home" \
        "$PY" "$SCRIPT_DIR/prefect_stack_setup.py" --pool "$POOL" --queues "${queues[@]}" \
        --limit "$GLOBAL_LIMIT" --slots "$GLOBAL_SLOTS" \
        --results-block "$RESULTS_BLOCK" --results-path "$STACK_DIR/results" | sed 's/^/[prefect-stack] /' >&2
}

worker_engine() { # ARCH -> its DOCKER_HOST
    case $1 in
        x64) echo "${FAASFORGE_X64_DOCKER_HOST:-$DEFAULT_ENGINE}" ;;
        arm64) echo "${FAASFORGE_ARM64_DOCKER_HOST:-$DEFAULT_ENGINE}" ;;
        *) echo "$DEFAULT_ENGINE" ;;
    esac
}

worker_name() { echo "faasforge-$1-$(hostname -s 2>/dev/null || hostname)"; }

worker_online() { # NAME -> 0 when the pool lists it as ONLINE
    curl -fsS --noproxy '*' --max-time 3 -X POST -H 'Content-Type: application/json' \
        -d '{}' "$(api_url)/work_pools/$POOL/workers/filter" 2>/dev/null \
        | grep -q "\"name\":\"$1\"[^}]*\"status\":\"ONLINE\""
}

start_worker() { # ARCH: start its worker unless it runs
    local arch=$1 name dir extra=()
    name=$(worker_name "$arch")
    dir=$STACK_DIR/worker-$arch
    if pid_alive "$dir/worker.pid" "prefect worker start"; then
        return 0
    fi
    mkdir -p "$dir/home"
    # the x64 worker also takes the default queue (the nightly matrix's coordinating run)
    [[ $arch == x64 ]] && extra=(--work-queue default)
    log "starting worker $name on queue $arch (DOCKER_HOST=$(worker_engine "$arch"); log: $dir/worker.log)"
    (
        cd "$CHECKOUT"
        spawn "$dir/worker.log" "$dir/worker.pid" \
            env -u PREFECT_API_DATABASE_CONNECTION_URL \
            PREFECT_API_URL="$(api_url)" \
            PREFECT_HOME="$dir/home" \
            PREFECT_SERVER_ANALYTICS_ENABLED=false \
            PREFECT_DEFAULT_RESULT_STORAGE_BLOCK="local-file-system/$RESULTS_BLOCK" \
            DOCKER_HOST="$(worker_engine "$arch")" \
            FAASFORGE_HOME="$STACK_DIR/faasforge-home" \
            FAASFORGE_CHECKOUT="$CHECKOUT" \
            FAASFORGE_GLOBAL_BUILD_LIMIT="$GLOBAL_LIMIT" \
            FAASFORGE_WORKER_ARCH="$arch" \
            "$PY" -m prefect worker start --pool "$POOL" --type process \
            --work-queue "$arch" "${extra[@]}" --name "$name" --install-policy never
    )
}

await_worker() { # ARCH T0: wait until its worker is ONLINE in the pool
    local name
    name=$(worker_name "$1")
    await_up "worker $name" "$STACK_DIR/worker-$1/worker" 60 "$2" worker_online "$name"
}

# ------------------------------------------------------------------------------ commands
cmd_up() {
    local t0 t1 arch
    t0=$(now_ms)
    mkdir -p "$STACK_DIR"
    exec 9>"$STACK_DIR/up.lock"
    flock 9 # one `up` at a time (every daemon below is started with fd 9 closed)
    command -v curl >/dev/null || apt_install curl
    ensure_postgres
    ensure_server
    write_env
    ensure_setup
    t1=$(now_ms)
    for arch in $WORKERS; do start_worker "$arch"; done
    for arch in $WORKERS; do await_worker "$arch" "$t1"; done
    log "up in $(secs_since "$t0")s: UI http://127.0.0.1:$(server_port), API $(api_url); settings in $STACK_DIR/stack.env"
}

cmd_deploy() {
    if [[ ! -s $STACK_DIR/server.port ]] || ! server_ok; then
        die "no server answers; run '$0 up' first"
    fi
    local t0
    t0=$(now_ms)
    log "prefect deploy --all (from $CHECKOUT) against $(api_url)"
    (cd "$CHECKOUT" && PREFECT_API_URL=$(api_url) PREFECT_HOME="$STACK_DIR/client-home" \
        "$PY" -m prefect --no-prompt deploy --all)
    log "deployed in $(secs_since "$t0")s"
    secs_since "$t0" >"$STACK_DIR/deploy.seconds"
}

cmd_status() {
    local arch
    if [[ -s $PG_DIR/port ]] && pg_bin >/dev/null && pg_ready; then
        echo "postgres: 127.0.0.1:$(pg_port) ($PG_DIR/data)"
    else
        echo "postgres: not running"
    fi
    if [[ -s $STACK_DIR/server.port ]] && server_ok; then
        echo "server:   http://127.0.0.1:$(server_port) (API $(api_url))"
    else
        echo "server:   not answering"
    fi
    for arch in $WORKERS; do
        if pid_alive "$STACK_DIR/worker-$arch/worker.pid" "prefect worker start"; then
            echo "worker:   $(worker_name "$arch") on queue $arch, DOCKER_HOST=$(worker_engine "$arch") (pid $(cat "$STACK_DIR/worker-$arch/worker.pid"))"
        else
            echo "worker:   $(worker_name "$arch") not running"
        fi
    done
}

cmd_down() {
    local arch dir
    for dir in "$STACK_DIR"/worker-*; do
        [[ -d $dir ]] || continue
        arch=${dir##*/worker-}
        stop_group "worker $arch" "$dir/worker.pid" "prefect worker start"
    done
    stop_group "Prefect server" "$STACK_DIR/server.pid" "prefect server start"
    stop_postgres
    if [[ ${1:-} == --purge ]]; then
        case $STACK_DIR in
            / | /var | /var/tmp | /tmp | "$HOME") die "refusing to delete $STACK_DIR" ;;
        esac
        log "deleting $STACK_DIR"
        rm -rf "$STACK_DIR"
    fi
}

main() {
    local cmd=${1:-up}
    shift || true
    case $cmd in
        up) cmd_up ;;
        deploy) cmd_deploy ;;
        status) cmd_status ;;
        env) cat "$STACK_DIR/stack.env" ;;
        down) cmd_down "$@" ;;
        ensure-browser) ensure_browser ;;
        -h | --help | help) sed -n '2,/^set -euo/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//' ;;
        *) die "unknown command '$cmd' (use up, deploy, status, env, down or ensure-browser)" ;;
    esac
}

main "$@"
