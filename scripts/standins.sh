#!/usr/bin/env bash
# Stand-in base images for tests: each cloud's runtime side, built FROM the local platform's base
# image of that language, version and architecture (config/systems.json's public image when
# scripts/services.sh pulled the public bases, else the offline overlay's faasforge/base-*) by
# pip/npm installing the platform's real runtime client from the package registries. Never a default: config/systems.json keeps
# the public images; tests point the platforms at these with scripts/standins/systems.overlay.json.
#
#   scripts/standins.sh up [KEY...]   build what is missing or out of date (idempotent; default: all)
#   scripts/standins.sh check KEY     exit 0 when the engine holds KEY for the current recipe
#   scripts/standins.sh tag KEY       print KEY's image tag
#   scripts/standins.sh base KEY      print the base image KEY is built from
#   scripts/standins.sh keys          print the known keys
#
# KEY is {platform}-{language}-{arch}, e.g. aws-python-x64. Environment:
#   FAASFORGE_STANDINS           keys for `up` without arguments (default: all x64 + aws-python-arm64)
#   FAASFORGE_BUILD_CA_BUNDLE    CA bundle pip/npm trust while building (default: the system's)
set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
RECIPES=$SCRIPT_DIR/standins
CONFIG_DIR=$(cd "$SCRIPT_DIR/../config" && pwd)
BASE_MODE_FILE=${FAASFORGE_SERVICES_DIR:-/var/tmp/faasforge-services}/base-images.mode # services.sh's
AWSLAMBDARIC_VERSION=4.2.2
AWS_LAMBDA_RIC_VERSION=3.3.0   # 4.x needs Node.js >= 22; the local base has 18
AZURE_FUNCTIONS_VERSION=1.24.0
KEYS="aws-python-x64 aws-python-arm64 aws-nodejs-x64 gcp-python-x64 gcp-nodejs-x64 \
openwhisk-python-x64 openwhisk-nodejs-x64 azure-python-x64 azure-nodejs-x64"
DEFAULT_KEYS=${FAASFORGE_STANDINS-$KEYS}

die() { printf 'standins: error: %s\n' "$*" >&2; exit 1; }
log() { printf '[standins] %s\n' "$*"; }

local_base() { # LANGUAGE VERSION ARCH -> the local platform's base image, as the tests' systems name it
    local overlay=$CONFIG_DIR/systems.offline.json
    [[ $(cat "$BASE_MODE_FILE" 2>/dev/null) == public ]] && overlay=""
    # faasforge's own overlay merge, from the checkout (services.sh runs before `pip install`)
    PYTHONPATH="$CONFIG_DIR/..${PYTHONPATH:+:$PYTHONPATH}" python3 - "$CONFIG_DIR/systems.json" "$overlay" "$@" <<'PY'
import json, sys
from pathlib import Path
from faasforge.overlay import load_overlay, merge_patch
config, overlay, language, version, arch = sys.argv[1:]
systems = json.loads(Path(config).read_text())
if overlay:
    systems = merge_patch(systems, load_overlay(Path(overlay)))
image = systems["local"]["languages"][language]["base_images"].get(arch, {}).get(version)
if not image:
    sys.exit(f"standins: error: no local {language} {version} {arch} base image in {config}")
print(image)
PY
}

spec() { # KEY -> globals PLATFORM LANGUAGE ARCH VERSION BASE TAG RECIPE ARGS
    local key=$1
    IFS=- read -r PLATFORM LANGUAGE ARCH <<<"$key"
    case " $KEYS " in *" $key "*) ;; *) die "unknown stand-in '$key'; allowed: $KEYS" ;; esac
    case $LANGUAGE in
        python) VERSION=3.11 ;;
        nodejs) VERSION=18 ;;
    esac
    BASE=$(local_base "$LANGUAGE" "$VERSION" "$ARCH")
    TAG=faasforge/standin-$PLATFORM-$LANGUAGE:$VERSION-$ARCH
    ARGS=(--build-arg "BASE=$BASE")
    case $PLATFORM-$LANGUAGE in
        aws-python) RECIPE=Dockerfile.aws-python; ARGS+=(--build-arg "RIC_VERSION=$AWSLAMBDARIC_VERSION") ;;
        aws-nodejs) RECIPE=Dockerfile.aws-nodejs; ARGS+=(--build-arg "RIC_VERSION=$AWS_LAMBDA_RIC_VERSION") ;;
        azure-python) RECIPE=Dockerfile.azure-python; ARGS+=(--build-arg "LIBRARY_VERSION=$AZURE_FUNCTIONS_VERSION") ;;
        *) RECIPE=Dockerfile.plain; ARGS+=(--build-arg "KIND=$PLATFORM-$LANGUAGE") ;;
    esac
}

recipe_hash() { # the recipe file + its arguments + the base image's id
    local base_id
    base_id=$(docker image inspect -f '{{.Id}}' "$BASE" 2>/dev/null) || die "$BASE is not in the engine; run scripts/services.sh up"
    { cat "$RECIPES/$RECIPE"; printf '%s\n' "${ARGS[@]}" "$base_id"; } | sha256sum | cut -c1-16
}

check() {
    spec "$1"
    local have
    have=$(docker image inspect -f '{{index .Config.Labels "org.faasforge.standin.recipe"}}' "$TAG" 2>/dev/null) || return 1
    [[ $have == "$(recipe_hash)" ]]
}

build() {
    spec "$1"
    local hash ctx t0 platform
    hash=$(recipe_hash)
    ctx=$(mktemp -d)
    cp "$RECIPES/$RECIPE" "$ctx/Dockerfile"
    local ca=${FAASFORGE_BUILD_CA_BUNDLE:-/etc/ssl/certs/ca-certificates.crt}
    if [[ $ca != none && -s $ca ]]; then cp "$ca" "$ctx/ca-bundle.crt"; else : >"$ctx/ca-bundle.crt"; fi
    case $ARCH in x64) platform=linux/amd64 ;; arm64) platform=linux/arm64 ;; esac
    t0=$(date +%s)
    log "building $TAG from $BASE ($RECIPE)"
    if ! DOCKER_BUILDKIT=0 docker build --platform "$platform" --network host "${ARGS[@]}" \
        --label "org.faasforge.standin.recipe=$hash" -t "$TAG" "$ctx" >"$ctx/build.log" 2>&1; then
        tail -n 25 "$ctx/build.log" | sed 's/^/    /' >&2
        rm -rf "$ctx"
        return 1
    fi
    rm -rf "$ctx"
    log "built $TAG in $(($(date +%s) - t0))s"
}

up() {
    local key failed=()
    for key in "$@"; do
        check "$key" && continue
        build "$key" || failed+=("$key")
    done
    ((${#failed[@]} == 0)) || die "stand-in build failed: ${failed[*]}"
}

main() {
    local cmd=${1:-up}
    shift || true
    case $cmd in
        up) if (($#)); then up "$@"; else read -r -a keys <<<"$DEFAULT_KEYS"; up "${keys[@]}"; fi ;;
        check) check "${1:?KEY}" ;;
        tag) spec "${1:?KEY}"; echo "$TAG" ;;
        base) spec "${1:?KEY}"; echo "$BASE" ;;
        keys) echo "$KEYS" ;;
        -h | --help | help) sed -n '2,/^set -euo/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//' ;;
        *) die "unknown command '$cmd' (use up, check, tag, base or keys)" ;;
    esac
}

main "$@"
