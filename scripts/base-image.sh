#!/usr/bin/env bash
# Build one of faasforge's local base images offline from Debian packages.
#
#   scripts/base-image.sh build KEY    debootstrap a root (cached), docker build it, verify it
#   scripts/base-image.sh check KEY    exit 0 when the engine holds the image for the current recipe
#   scripts/base-image.sh tag KEY      print the image tag
#   scripts/base-image.sh keys         print the known keys
#
# KEY is {python|nodejs|java|java-build|cpp|cpp-build}-{x64|arm64}. There is no Docker Hub here: the root is made with
# `debootstrap --variant=minbase` from the host's Debian mirror, packed as rootfs.tar and turned
# into an image by `FROM scratch` + `ADD rootfs.tar /`, built with `--platform` so the image
# records the right architecture. Foreign roots (arm64 on x86-64) run their maintainer scripts
# under qemu through binfmt_misc (registered with the F flag by scripts/services.sh).
#
# The Java and C++ images are derived, not debootstrapped: `FROM` the python root of the same
# architecture plus `apt-get install` of Debian packages in a `docker build` (host network, the
# root's Debian mirror), which takes a fraction of a fresh root. A derived key builds its parent
# first when the engine lacks it.
#   java-ARCH        faasforge/base-java:17-ARCH   the JRE (openjdk-17-jre-headless): Java run base
#   java-build-ARCH  faasforge/build-java:17-ARCH  + JDK, Maven 3.8.7 and the Maven plugins and
#                    libraries Debian installs into its Maven repository /usr/share/maven-repo
#   cpp-ARCH         faasforge/base-cpp:all-ARCH   C++ run base (libstdc++; the function image
#                    brings the shared libraries its binary links, copied from the build stage)
#   cpp-build-ARCH   faasforge/build-cpp:all-ARCH  g++, CMake, pkg-config, RapidJSON, Boost headers
#
# Environment:
#   FAASFORGE_SERVICES_DIR   cache and logs (default /var/tmp/faasforge-services)
#   FAASFORGE_DEBIAN_MIRROR  Debian mirror (default: the host's apt sources, else deb.debian.org)
#   FAASFORGE_DEBIAN_SUITE   Debian suite (default bookworm; the tags assume python 3.11 / node 18)
set -euo pipefail
export PATH="$PATH:/usr/local/sbin:/usr/sbin:/sbin"
export LC_ALL=C

SERVICES_DIR=${FAASFORGE_SERVICES_DIR:-/var/tmp/faasforge-services}
SUITE=${FAASFORGE_DEBIAN_SUITE:-bookworm}
# Bump when the way roots are made changes: images and cached roots of an older recipe are rebuilt.
RECIPE_VERSION=1
RECIPE_LABEL=org.faasforge.base.recipe
KEYS="python-x64 python-arm64 nodejs-x64 nodejs-arm64 java-x64 java-arm64 java-build-x64 java-build-arm64 cpp-x64 cpp-arm64 cpp-build-x64 cpp-build-arm64"

die() { printf 'base-image: error: %s\n' "$*" >&2; exit 1; }
now() { date +%s; }

# ---------------------------------------------------------------------------- image table
spec() { # KEY -> globals LANGUAGE ARCH DEB_ARCH PLATFORM TAG INCLUDE CHROOT_PKGS EXPECT CMD_JSON
    #                 (derived images: PARENT_KEY, APT_PKGS)
    local key=$1
    PARENT_KEY=""
    APT_PKGS=""
    INCLUDE=""
    CHROOT_PKGS=""
    LANGUAGE=${key%-*}
    ARCH=${key##*-}
    case $ARCH in
        x64) DEB_ARCH=amd64 ;;
        arm64) DEB_ARCH=arm64 ;;
        *) die "unknown architecture in '$key' (want x64 or arm64)" ;;
    esac
    PLATFORM=linux/$DEB_ARCH
    case $LANGUAGE in
        python)
            TAG=faasforge/base-python:3.11-$ARCH
            INCLUDE=python3,python3-pip,python-is-python3,ca-certificates
            CHROOT_PKGS=""
            EXPECT="python3 --version=Python 3.11."
            CMD_JSON='["python3"]'
            ;;
        nodejs)
            TAG=faasforge/base-nodejs:18-$ARCH
            INCLUDE=nodejs,ca-certificates
            # debootstrap's resolver cannot pull in npm's dependency tree: apt does it in the root.
            CHROOT_PKGS=npm
            EXPECT="node --version=v18."
            CMD_JSON='["node"]'
            ;;
        java)
            TAG=faasforge/base-java:17-$ARCH
            PARENT_KEY=python-$ARCH
            APT_PKGS="openjdk-17-jre-headless"
            EXPECT="java -version=openjdk version \"17."
            CMD_JSON='["java", "-version"]'
            ;;
        java-build)
            TAG=faasforge/build-java:17-$ARCH
            PARENT_KEY=java-$ARCH
            # Maven's lifecycle plugins (Debian maps Maven's default versions onto its own) and
            # the libraries faasforge's wrappers and samples use, all into /usr/share/maven-repo.
            APT_PKGS="openjdk-17-jdk-headless maven libmaven-compiler-plugin-java libmaven-shade-plugin-java"
            APT_PKGS+=" libmaven-resources-plugin-java libmaven-jar-plugin-java libsurefire-java"
            APT_PKGS+=" libmaven-install-plugin-java libmaven-clean-plugin-java libmaven-dependency-plugin-java"
            APT_PKGS+=" libjackson2-databind-java libgoogle-gson-java libmustache-java"
            EXPECT="mvn -B -v=Apache Maven 3.8."
            CMD_JSON='["mvn", "-v"]'
            ;;
        cpp)
            TAG=faasforge/base-cpp:all-$ARCH
            PARENT_KEY=python-$ARCH
            APT_PKGS="libstdc++6"
            EXPECT="true="
            CMD_JSON='["/bin/sh"]'
            ;;
        cpp-build)
            TAG=faasforge/build-cpp:all-$ARCH
            PARENT_KEY=python-$ARCH
            APT_PKGS="g++ make cmake pkg-config rapidjson-dev libboost-dev"
            EXPECT="cmake --version=cmake version 3."
            CMD_JSON='["/bin/sh"]'
            ;;
        *) die "unknown language in '$key' (want python, nodejs, java, java-build, cpp or cpp-build)" ;;
    esac
}

recipe() { # a short hash of everything that shapes the image's content
    local parent=""
    if [[ -n $PARENT_KEY ]]; then # a derived image changes with its parent's recipe
        parent=$(
            spec "$PARENT_KEY"
            recipe
        )
    fi
    {
        printf '%s\n' "$RECIPE_VERSION" "$SUITE" "$DEB_ARCH" "$INCLUDE" "$CHROOT_PKGS" "$CMD_JSON"
        [[ -z $PARENT_KEY ]] || printf '%s\n' "$APT_PKGS" "$parent"
    } | sha256sum | cut -c1-16
}

# ---------------------------------------------------------------------------- host apt settings
detect_mirror() {
    if [[ -n ${FAASFORGE_DEBIAN_MIRROR:-} ]]; then
        echo "$FAASFORGE_DEBIAN_MIRROR"
        return
    fi
    local found="" f
    shopt -s nullglob
    for f in /etc/apt/sources.list.d/*.sources; do # deb822 stanzas
        found=$(awk -v suite="$SUITE" '
            function flush() { if (uris != "" && ok && deb && enabled) { print uris; done = 1; exit } }
            /^[[:space:]]*$/ { flush(); uris = ""; ok = 0; deb = 0; enabled = 1; next }
            BEGIN { enabled = 1 }
            tolower($1) == "types:"   { for (i = 2; i <= NF; i++) if ($i == "deb") deb = 1 }
            tolower($1) == "uris:"    { uris = $2 }
            tolower($1) == "suites:"  { for (i = 2; i <= NF; i++) if ($i == suite) ok = 1 }
            tolower($1) == "enabled:" { enabled = (tolower($2) != "no") }
            END { if (!done) flush() }' "$f")
        [[ -n $found ]] && break
    done
    if [[ -z $found ]]; then
        for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do # one-line style
            [[ -r $f ]] || continue
            found=$(awk -v suite="$SUITE" '
                $1 == "deb" { i = 2; if ($i ~ /^\[/) { while ($i !~ /\]$/ && i < NF) i++; i++ }
                              if ($(i + 1) == suite) { print $i; exit } }' "$f")
            [[ -n $found ]] && break
        done
    fi
    shopt -u nullglob
    echo "${found:-http://deb.debian.org/debian}"
}

detect_apt_proxy() { # the host's apt proxy, if any, so debootstrap and the chroot's apt use it too
    local APT_PROXY=""
    if command -v apt-config >/dev/null; then
        eval "$(apt-config shell APT_PROXY Acquire::http::Proxy 2>/dev/null)" || true
    fi
    echo "$APT_PROXY"
}

# ---------------------------------------------------------------------------- safe cleanup
umount_under() { # unmount everything mounted at or below $1, deepest first
    local root m
    root=$(realpath -m "$1")
    awk -v r="$root" '$2 == r || index($2, r "/") == 1 { print $2 }' /proc/self/mounts \
        | sort -r | while read -r m; do
            umount "$m" 2>/dev/null || umount -l "$m" || true
        done
}

safe_rm() { # remove a (possibly half-built) root without ever crossing into a mount
    [[ -e $1 ]] || return 0
    umount_under "$1"
    if awk -v r="$(realpath -m "$1")" 'index($2, r) == 1 { f = 1 } END { exit !f }' /proc/self/mounts; then
        die "refusing to delete $1: something is still mounted below it"
    fi
    rm -rf --one-file-system "$1"
}

# ---------------------------------------------------------------------------- root building
in_root() { # run a command inside the root with a clean environment
    local root=$1
    shift
    env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 \
        HOME=/root DEBIAN_FRONTEND=noninteractive ${HTTP_PROXY_ENV:+"http_proxy=$HTTP_PROXY_ENV"} \
        chroot "$root" "$@"
}

chroot_apt_install() { # ROOT PKG...
    local root=$1
    shift
    cp -L /etc/resolv.conf "$root/etc/resolv.conf"
    printf '#!/bin/sh\nexit 101\n' >"$root/usr/sbin/policy-rc.d"
    chmod 755 "$root/usr/sbin/policy-rc.d"
    mountpoint -q "$root/proc" || mount -t proc proc "$root/proc"
    local aptopts=(-q -o Dpkg::Use-Pty=0 -o APT::Install-Recommends=false)
    [[ -n $HTTP_PROXY_ENV ]] && aptopts+=(-o "Acquire::http::Proxy=$HTTP_PROXY_ENV")
    in_root "$root" apt-get "${aptopts[@]}" update
    in_root "$root" apt-get "${aptopts[@]}" install -y "$@"
    umount "$root/proc"
    rm -f "$root/usr/sbin/policy-rc.d"
}

trim_root() { # make the root small and container-friendly
    local root=$1
    in_root "$root" apt-get clean
    rm -rf "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/*.bin \
        "$root"/var/cache/debconf/*-old "$root"/var/lib/dpkg/*-old "$root"/debootstrap
    mkdir -p "$root/var/lib/apt/lists/partial"
    # docs, man pages, info, locales (keep copyright files and locale.alias)
    find "$root/usr/share/doc" -mindepth 1 ! -type d ! -name copyright -delete 2>/dev/null || true
    find "$root/usr/share/doc" -mindepth 1 -type d -empty -delete 2>/dev/null || true
    rm -rf "$root"/usr/share/man/* "$root"/usr/share/info/* "$root"/usr/share/lintian \
        "$root"/usr/share/linda
    find "$root/usr/share/locale" -mindepth 1 -maxdepth 1 ! -name locale.alias \
        -exec rm -rf {} + 2>/dev/null || true
    mkdir -p "$root/usr/share/man/man1" # some postinst scripts expect it
    # keep it that way for packages installed later in images built FROM this one
    cat >"$root/etc/dpkg/dpkg.cfg.d/faasforge-excludes" <<'EOF'
path-exclude=/usr/share/doc/*
path-include=/usr/share/doc/*/copyright
path-exclude=/usr/share/man/*
path-exclude=/usr/share/info/*
path-exclude=/usr/share/locale/*
path-include=/usr/share/locale/locale.alias
path-exclude=/usr/share/lintian/*
EOF
    cat >"$root/etc/apt/apt.conf.d/90faasforge" <<'EOF'
APT::Install-Recommends "false";
APT::Install-Suggests "false";
DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
Dir::Cache::pkgcache "";
Dir::Cache::srcpkgcache "";
EOF
    # logs and host identity copied in by debootstrap; the engine provides these at run time
    find "$root/var/log" -type f -delete
    rm -f "$root/etc/resolv.conf" "$root/etc/hostname"
    printf '127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n' >"$root/etc/hosts"
    # a container is its own environment: let pip install like on the cloud providers' images
    rm -f "$root"/usr/lib/python3*/EXTERNALLY-MANAGED
}

build_rootfs() { # -> $CACHE/rootfs.tar for the current recipe
    local work=$CACHE/root
    safe_rm "$work"
    mkdir -p "$work"
    trap 'umount_under "'"$work"'"' EXIT
    echo "debootstrap $SUITE $DEB_ARCH from $MIRROR (include: $INCLUDE)"
    local dbs=(--variant=minbase --arch="$DEB_ARCH" --include="$INCLUDE")
    if ! http_proxy=${HTTP_PROXY_ENV:-${http_proxy:-}} debootstrap "${dbs[@]}" "$SUITE" "$work" "$MIRROR"; then
        [[ -f $work/debootstrap/debootstrap.log ]] && tail -n 40 "$work/debootstrap/debootstrap.log"
        die "debootstrap failed for $KEY"
    fi
    if [[ -n $CHROOT_PKGS ]]; then
        echo "apt-get install $CHROOT_PKGS inside the root"
        # shellcheck disable=SC2086
        chroot_apt_install "$work" $CHROOT_PKGS
    fi
    trim_root "$work"
    umount_under "$work"
    echo "packing rootfs.tar"
    tar --numeric-owner --one-file-system -C "$work" \
        --exclude=./proc/* --exclude=./sys/* --exclude=./dev/* --exclude=./run/* --exclude=./tmp/* \
        -cf "$CACHE/rootfs.tar.tmp" .
    mv -f "$CACHE/rootfs.tar.tmp" "$CACHE/rootfs.tar"
    echo "$RECIPE" >"$CACHE/recipe"
    safe_rm "$work"
    trap - EXIT
}

docker_build() {
    local ctx=$CACHE/context
    rm -rf "$ctx"
    mkdir -p "$ctx"
    ln "$CACHE/rootfs.tar" "$ctx/rootfs.tar" 2>/dev/null || cp "$CACHE/rootfs.tar" "$ctx/rootfs.tar"
    cat >"$ctx/Dockerfile" <<EOF
FROM scratch
ADD rootfs.tar /
ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \\
    LANG=C.UTF-8
LABEL $RECIPE_LABEL="$RECIPE" \\
      org.opencontainers.image.title="$TAG" \\
      org.opencontainers.image.description="faasforge local base image: Debian $SUITE minbase + ${INCLUDE//,/ }${CHROOT_PKGS:+ $CHROOT_PKGS} ($DEB_ARCH)"
CMD $CMD_JSON
EOF
    # Classic builder (no buildx here); --platform is what sets the image's Architecture.
    # Built under a candidate tag: $TAG only ever names a verified image.
    DOCKER_BUILDKIT=0 docker build -q --platform "$PLATFORM" --network host -t "$CANDIDATE" "$ctx"
    rm -rf "$ctx"
}

docker_build_derived() { # FROM the parent image + apt-get install, in a docker build
    local ctx=$CACHE/context parent_tag
    parent_tag=$(
        spec "$PARENT_KEY"
        echo "$TAG"
    )
    rm -rf "$ctx"
    mkdir -p "$ctx"
    cat >"$ctx/Dockerfile" <<DOCKERFILE
FROM $parent_tag
ARG APT_HTTP_PROXY=""
RUN set -eu; \\
    opts="-q -o Dpkg::Use-Pty=0"; \\
    if [ -n "\$APT_HTTP_PROXY" ]; then opts="\$opts -o Acquire::http::Proxy=\$APT_HTTP_PROXY"; fi; \\
    export DEBIAN_FRONTEND=noninteractive; \\
    apt-get \$opts update >/tmp/apt.log 2>&1 || { tail -n 30 /tmp/apt.log; exit 1; }; \\
    apt-get \$opts install -y --no-install-recommends $APT_PKGS >>/tmp/apt.log 2>&1 \\
      || { tail -n 40 /tmp/apt.log; exit 1; }; \\
    apt-get clean; rm -rf /var/lib/apt/lists/* /tmp/apt.log /var/log/apt/* /var/log/dpkg.log; \\
    mkdir -p /var/lib/apt/lists/partial
LABEL $RECIPE_LABEL="$RECIPE" \\
      org.opencontainers.image.title="$TAG" \\
      org.opencontainers.image.description="faasforge local base image: $parent_tag + $APT_PKGS ($DEB_ARCH)"
CMD $CMD_JSON
DOCKERFILE
    DOCKER_BUILDKIT=0 docker build -q --platform "$PLATFORM" --network host \
        --build-arg "APT_HTTP_PROXY=$HTTP_PROXY_ENV" -t "$CANDIDATE" "$ctx"
    rm -rf "$ctx"
}

promote() { # candidate -> $TAG, dropping an older recipe's image if nothing else uses it
    local old new
    old=$(docker image inspect -f '{{.Id}}' "$TAG" 2>/dev/null || true)
    docker tag "$CANDIDATE" "$TAG"
    docker rmi "$CANDIDATE" >/dev/null
    new=$(docker image inspect -f '{{.Id}}' "$TAG")
    if [[ -n $old && $old != "$new" ]]; then
        docker rmi "$old" >/dev/null 2>&1 || true
    fi
}

verify_image() {
    local arch machine want_machine cmd want out
    arch=$(docker image inspect -f '{{.Architecture}}' "$CANDIDATE")
    [[ $arch == "$DEB_ARCH" ]] || die "$CANDIDATE has Architecture '$arch', expected $DEB_ARCH"
    want_machine=$([[ $DEB_ARCH == arm64 ]] && echo aarch64 || echo x86_64)
    local run=(docker run --rm --network host --platform "$PLATFORM" "$CANDIDATE")
    machine=$("${run[@]}" uname -m)
    [[ $machine == "$want_machine" ]] || die "$CANDIDATE runs as '$machine', expected $want_machine"
    cmd=${EXPECT%%=*}
    want=${EXPECT#*=}
    # shellcheck disable=SC2086
    out=$("${run[@]}" $cmd 2>&1 | sed 's/\x1b\[[0-9;]*m//g') # no terminal colours (Maven's)
    [[ $out == "$want"* ]] || die "$CANDIDATE: '$cmd' printed '$out', expected '$want...'"
    local versions=$out
    case $LANGUAGE in
        cpp)
            "${run[@]}" sh -c 'ldconfig -p | grep -q "libstdc++.so.6 "' || die "$CANDIDATE has no libstdc++"
            versions="libstdc++.so.6"
            ;;
        cpp-build) versions="$out, $("${run[@]}" g++ --version | head -n1)" ;;
        java | java-build) versions=$(printf '%s' "$out" | head -n1) ;;
        python) versions="$versions, $("${run[@]}" pip --version | cut -d' ' -f1-2)" ;;
        nodejs) versions="node $versions, npm $("${run[@]}" npm --version)" ;;
    esac
    echo "verified $TAG: Architecture=$arch, uname -m=$machine, $versions"
}

# ---------------------------------------------------------------------------- commands
cmd_build() {
    [[ $EUID -eq 0 ]] || die "building base images needs root (debootstrap, chroot, mount)"
    local t0 t1 t2 t3 how
    CACHE=$SERVICES_DIR/base/$KEY
    mkdir -p "$CACHE"
    exec 8>"$CACHE/lock"
    flock 8
    HTTP_PROXY_ENV=$(detect_apt_proxy)
    t0=$(now)
    if image_current; then # another job built it while this one waited for the lock
        echo "==> $TAG is up to date"
        return 0
    fi
    if [[ -n $PARENT_KEY ]]; then
        "$0" check "$PARENT_KEY" || "$0" build "$PARENT_KEY"
        t1=$(now)
        docker_build_derived
        how="FROM $PARENT_KEY + apt-get install"
        t2=$(now)
        if ! (verify_image); then
            docker rmi "$CANDIDATE" >/dev/null 2>&1 || true
            die "verification of $TAG failed; not tagged"
        fi
        promote
        t3=$(now)
        echo "==> $TAG built in $((t3 - t0))s (parent $((t1 - t0))s, $how $((t2 - t1))s, verify $((t3 - t2))s)"
        return 0
    fi
    MIRROR=$(detect_mirror)
    if [[ -f $CACHE/rootfs.tar && "$(cat "$CACHE/recipe" 2>/dev/null)" == "$RECIPE" ]]; then
        how="cached rootfs"
        echo "using cached $CACHE/rootfs.tar"
    else
        how="debootstrap"
        build_rootfs
    fi
    t1=$(now)
    docker_build
    t2=$(now)
    if ! (verify_image); then # a subshell: its die() must come back here
        docker rmi "$CANDIDATE" >/dev/null 2>&1 || true
        die "verification of $TAG failed; not tagged"
    fi
    promote
    t3=$(now)
    echo "==> $TAG built in $((t3 - t0))s ($how $((t1 - t0))s, docker build $((t2 - t1))s, verify $((t3 - t2))s)"
}

image_current() {
    [[ "$(docker image inspect -f "{{index .Config.Labels \"$RECIPE_LABEL\"}}" "$TAG" 2>/dev/null)" == "$RECIPE" ]]
}

main() {
    local cmd=${1:-}
    case $cmd in
        keys) echo "$KEYS"; return ;;
        build | check | tag) ;;
        *) die "usage: $0 {build|check|tag} KEY | $0 keys   (KEY: ${KEYS// /, })" ;;
    esac
    KEY=${2:-}
    [[ -n $KEY ]] || die "usage: $0 $cmd KEY"
    spec "$KEY"
    RECIPE=$(recipe)
    CANDIDATE=$TAG-candidate
    case $cmd in
        tag) echo "$TAG" ;;
        check) image_current ;;
        build) cmd_build ;;
    esac
}

main "$@"
