#!/usr/bin/env bash
# Builds the cluster's container images from scratch with buildah (no registry, no Docker) into
# docker-archive tarballs under $KUBEHA_CACHE/images, keyed by the hash of their inputs.
#   images.sh build          build every image archive that is missing; prints their paths
# The archives are imported into containerd by the cluster's `up`.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=/dev/null
. "$here/versions.env"
: "${KUBEHA_CACHE:=${XDG_CACHE_HOME:-$HOME/.cache}/kubeha}"
export GOCACHE="$KUBEHA_CACHE/go/build" GOMODCACHE="$KUBEHA_CACHE/go/mod"
export CGO_ENABLED=0 GOFLAGS=-buildvcs=false GOTOOLCHAIN=local STORAGE_DRIVER=vfs
out="$KUBEHA_CACHE/images"
work="$KUBEHA_CACHE/images/work"
mkdir -p "$out" "$work"

key_of() { cat "$@" | sha256sum | cut -c1-12; }

# bin_key FILE: key_of one big binary, remembered by its path, size and modification time:
# hashing the 200 MB of add-on binaries took a second of every `up`.
bin_key() {
  local memo
  memo="$work/keys/$(printf '%s' "$1" | sha256sum | cut -c1-12)-$(stat -L -c '%s-%.9Y' "$1")"
  if [ ! -s "$memo" ]; then
    mkdir -p "$work/keys"
    key_of "$1" >"$memo.tmp" && mv "$memo.tmp" "$memo"
  fi
  cat "$memo"
}

# image NAME:TAG KEY USER PORT ENTRYPOINT_JSON SRC:DST...  → prints the archive path
image() {
  local ref=$1 key=$2 user=$3 port=$4 entry=$5; shift 5
  local tar="$out/$(echo "$ref" | tr '/:' '__')-$key.tar"
  if [ ! -s "$tar" ]; then
    local c
    c=$(buildah from scratch)
    local pair
    for pair in "$@"; do buildah copy -q "$c" "${pair%%:*}" "${pair#*:}" >/dev/null; done
    buildah config --entrypoint "$entry" --cmd '' --user "$user" \
      ${port:+--port "$port"} --label "org.opencontainers.image.source=kubeha" "$c"
    buildah commit -q --rm "$c" "$ref" >/dev/null
    rm -f "$tar.tmp"
    buildah push -q "$ref" "docker-archive:$tar.tmp:$ref"
    buildah rmi -q "$ref" >/dev/null 2>&1 || true
    mv "$tar.tmp" "$tar"
    echo "[images] built $ref" >&2
  fi
  echo "$tar"
}

gobuild() {  # gobuild PKG OUT LDFLAGS
  go build -C "$here/images" -trimpath -ldflags "-s -w $3" -o "$2" "$1"
}

build_all() {
  local src="$here/images"
  # pause: the sandbox image containerd is told to use.
  local k
  k=$(key_of "$src/pause/main.go" "$src/go.mod")
  [ -x "$work/pause-$k" ] || gobuild ./pause "$work/pause-$k" ""
  image "$PAUSE_IMAGE" "$k" 65535:65535 "" '["/pause"]' "$work/pause-$k:/pause"

  # the demo web app: one image per behaviour.
  local tag mode
  for tag in v1 v2 broken crash bad slow; do
    case $tag in broken|crash|bad|slow) mode=$tag ;; *) mode=ok ;; esac
    k=$(key_of "$src/web/main.go" "$src/go.mod" <(echo "$tag $mode"))
    [ -x "$work/web-$k" ] || gobuild ./web "$work/web-$k" "-X main.version=$tag -X main.mode=$mode"
    image "$WEB_IMAGE:$tag" "$k" 65532:65532 8080 '["/web"]' "$work/web-$k:/web"
  done

  # client: dash as the shell, busybox for the small tools (nslookup, seq, ...), and kubeha's
  # fetch as wget and curl. Busybox's own sh would run its built-in wget, and a static glibc
  # busybox cannot resolve names (or even parse addresses) without NSS modules in a scratch image.
  local bb=/bin/busybox
  [ -x "$bb" ] || { echo "images: $bb is missing: apt-get install busybox-static" >&2; exit 1; }
  k=$(key_of "$bb" /bin/dash "$0" "$src/fetch/main.go")
  if [ ! -d "$work/client-$k" ]; then
    local d="$work/client-$k"
    mkdir -p "$d/bin" "$d/etc" "$d/tmp"
    cp "$bb" "$d/bin/busybox"
    cp /bin/dash "$d/bin/dash"
    local lib
    for lib in $(ldd /bin/dash | grep -o '/[^ ]*'); do
      mkdir -p "$d$(dirname "$lib")"
      cp -L "$lib" "$d$lib"
    done
    gobuild ./fetch "$d/bin/fetch" ""
    local app
    for app in nslookup cat sleep echo grep env ls test true false timeout date hostname seq sort uniq wc head tail tr cut sed id; do
      ln -sf busybox "$d/bin/$app"
    done
    ln -sf dash "$d/bin/sh"
    ln -sf fetch "$d/bin/wget"
    ln -sf fetch "$d/bin/curl"
    printf 'root:x:0:0:root:/:/bin/sh\nclient:x:65532:65532:client:/tmp:/bin/sh\n' >"$d/etc/passwd"
    printf 'root:x:0:\nclient:x:65532:\n' >"$d/etc/group"
  fi
  image "$CLIENT_IMAGE" "$k" 65532:65532 "" '["/bin/sh"]' "$work/client-$k/:/"

  # CoreDNS from the binary build.sh made; it listens on an unprivileged port (the Service maps 53).
  local coredns="$KUBEHA_CACHE/bin/coredns-$COREDNS_VERSION/coredns"
  [ -x "$coredns" ] || "$here/lib/build.sh" coredns >&2
  k=$(bin_key "$coredns")
  image "$COREDNS_IMAGE" "$k" 65532:65532 1053 '["/coredns"]' "$coredns:/coredns"

  # MetalLB's speaker (a host-network DaemonSet: ARP needs root with NET_RAW, as upstream runs it).
  local speaker="$KUBEHA_CACHE/bin/metallb-$METALLB_VERSION/speaker"
  [ -x "$speaker" ] || "$here/lib/build.sh" metallb >&2
  k=$(bin_key "$speaker")
  image "$METALLB_SPEAKER_IMAGE" "$k" 0:0 "" '["/speaker"]' "$speaker:/speaker"

  # Traefik, the Ingress controller.
  local traefik="$KUBEHA_CACHE/bin/traefik-$TRAEFIK_VERSION/traefik"
  [ -x "$traefik" ] || "$here/lib/build.sh" traefik >&2
  k=$(bin_key "$traefik")
  image "$TRAEFIK_IMAGE" "$k" 65532:65532 8000 '["/traefik"]' "$traefik:/traefik"
}

case "${1:-build}" in
  build) build_all ;;
  *) echo "usage: images.sh build" >&2; exit 2 ;;
esac
