#!/usr/bin/env bash
# Builds the cluster's Go binaries from the Go module proxy into the cache, keyed by version:
#   build.sh kube|helm|helm3|coredns|containerd|metallb|traefik|gateway-api|kube-network-policies|vegeta|registry|all
# A binary already in the cache is not rebuilt. Logs go to $KUBEHA_CACHE/logs/build-*.log.
# (gateway-api builds no binary: it takes the Gateway API CRDs from their module.)
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=/dev/null
. "$here/versions.env"
# One cluster may run another Kubernetes version than the pinned default (inventories/local's
# second cluster): KUBEHA_KUBERNETES_VERSION, as cluster/kubeha_cluster/topology.py reads it.
KUBERNETES_VERSION=${KUBEHA_KUBERNETES_VERSION:-$KUBERNETES_VERSION}
: "${KUBEHA_CACHE:=${XDG_CACHE_HOME:-$HOME/.cache}/kubeha}"
export GOCACHE="$KUBEHA_CACHE/go/build" GOMODCACHE="$KUBEHA_CACHE/go/mod"
export CGO_ENABLED=0 GOFLAGS=-buildvcs=false GOTOOLCHAIN=local
mkdir -p "$KUBEHA_CACHE/logs" "$KUBEHA_CACHE/bin"

log() { printf '[build] %s\n' "$*" >&2; }

# One build at a time: a second `build.sh` (another `up`, a test session) waits for the first
# and then finds its binaries cached, instead of compiling the same packages twice at once.
# kubeha-cluster takes this same lock itself and says so with KUBEHA_BUILD_LOCK_HELD=1: a flock
# taken again through a second open of the file would wait for its own caller forever.
if [ "${KUBEHA_BUILD_LOCK_HELD:-}" != 1 ]; then
  exec 9>"$KUBEHA_CACHE/.build.lock"
  if ! flock -n 9; then
    log "another build is running; waiting for it"
    flock 9
  fi
fi

# Run a long step with its output in a log file, printing a progress line every 30 s.
run_logged() {
  local name=$1; shift
  local logf="$KUBEHA_CACHE/logs/build-$name.log" start=$SECONDS
  log "$name: building (log: $logf)"
  "$@" >"$logf" 2>&1 &
  local pid=$!
  while kill -0 "$pid" 2>/dev/null; do
    sleep 5
    if (( (SECONDS - start) % 30 < 5 )); then
      log "$name: still building, $((SECONDS - start)) s, $(grep -c . "$logf") packages compiled"
    fi
  done
  if ! wait "$pid"; then
    log "$name: FAILED after $((SECONDS - start)) s; last lines of $logf:"
    tail -n 20 "$logf" >&2
    return 1
  fi
  echo "built in $((SECONDS - start)) s" >>"$logf"
  log "$name: done in $((SECONDS - start)) s"
}

module_time() {  # the release date of a module version, used as a reproducible buildDate
  # `go mod download -json` prints "Time" only when it downloads; the .info file always has it.
  local info
  info=$(go mod download -json "$1@$2" | sed -n 's/.*"Info": "\(.*\)".*/\1/p' | head -n1)
  sed -n 's/.*"Time":"\([^"]*\)".*/\1/p' "$info"
}

# The Kubernetes components and kubectl, each its own binary (upstream's main packages), built
# from a wrapper module that requires k8s.io/kubernetes and replaces its staging modules.
KUBE_COMPONENTS="kube-apiserver kube-controller-manager kube-scheduler kube-proxy kubelet kubectl"

build_kube() {
  local v=$KUBERNETES_VERSION out="$KUBEHA_CACHE/bin/kubernetes-$KUBERNETES_VERSION" c missing=""
  for c in $KUBE_COMPONENTS; do [ -x "$out/$c" ] && [ ! -L "$out/$c" ] || missing+=" $c"; done
  [ -z "$missing" ] && { log "kube $v: cached"; return; }
  local src="$KUBEHA_CACHE/src/kube-$v" minor=${v#v1.}
  minor=${minor%%.*}
  mkdir -p "$src"
  rm -f "$src/main.go"  # the multi-call binary of earlier versions of this script
  cp "$here/build/kube/deps.go" "$src/"
  go mod download -json "k8s.io/kubernetes@$v" >/dev/null
  local up="$GOMODCACHE/k8s.io/kubernetes@$v/go.mod"
  {
    echo "module kubeha.local/kube"
    echo
    grep -E '^(go|godebug) ' "$up"
    echo
    # The release itself; its own go.mod pins every other dependency version through MVS.
    echo "require k8s.io/kubernetes $v"
    # Every staging module the release replaces with a local path, at the matching v0 version.
    grep -E '=> \./staging/' "$up" | awk -v m="v0.$minor.${v##*.}" '{print "replace " $1 " => " $1 " " m}'
  } >"$src/go.mod"
  local date ld="" pkg pkgs=""
  date=$(module_time k8s.io/kubernetes "$v")
  for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    ld+=" -X $pkg.gitVersion=$v -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor"
    ld+=" -X $pkg.gitTreeState=clean -X $pkg.buildDate=$date"
  done
  for c in $KUBE_COMPONENTS; do pkgs+=" k8s.io/kubernetes/cmd/$c"; done
  rm -rf "$src/out" && mkdir -p "$src/out"
  # Upstream's mains of kube-apiserver and kube-controller-manager embed the time zone database
  # themselves (CronJob time zones).
  (cd "$src" && run_logged "kube-$v" sh -c "go mod tidy && go build -v -trimpath -ldflags '-s -w$ld' -o out/$pkgs")
  mkdir -p "$out"
  rm -f "$out/kube"
  for c in $KUBE_COMPONENTS; do mv -f "$src/out/$c" "$out/$c"; done
}

# Helm 4, the pinned helm. Its version package moved to
# helm.sh/helm/v4/internal/version, and it reads the Kubernetes version it reports from the
# client-go module in its build info: no k8sVersion ldflags as in v3.
build_helm() {
  local v=$HELM_VERSION out="$KUBEHA_CACHE/bin/helm-$HELM_VERSION"
  [ -x "$out/helm" ] && { log "helm $v: cached"; return; }
  mkdir -p "$out"
  run_logged "helm-$v" env GOBIN="$out" go install -v -trimpath \
    -ldflags "-s -w -X helm.sh/helm/v4/internal/version.version=$v -X helm.sh/helm/v4/internal/version.gitTreeState=clean" \
    "helm.sh/helm/v4/cmd/helm@$v"
}

# Helm 3 beside it (linked as helm3): the chart is tested with both.
build_helm3() {
  local v=$HELM3_VERSION out="$KUBEHA_CACHE/bin/helm-$HELM3_VERSION"
  [ -x "$out/helm" ] && { log "helm $v: cached"; return; }
  local kv minor ld
  go mod download -json "helm.sh/helm/v3@$v" >/dev/null
  # helm reports the Kubernetes minor its client libraries are from (v0.33.3 → 1.33).
  kv=$(sed -n 's/^\s*k8s.io\/client-go \(v[^ ]*\).*/\1/p' "$GOMODCACHE/helm.sh/helm/v3@$v/go.mod")
  minor=${kv#v0.}
  minor=${minor%%.*}
  ld="-s -w -X helm.sh/helm/v3/internal/version.version=$v -X helm.sh/helm/v3/internal/version.gitTreeState=clean"
  ld+=" -X helm.sh/helm/v3/pkg/lint/rules.k8sVersionMajor=1 -X helm.sh/helm/v3/pkg/lint/rules.k8sVersionMinor=$minor"
  ld+=" -X helm.sh/helm/v3/pkg/chartutil.k8sVersionMajor=1 -X helm.sh/helm/v3/pkg/chartutil.k8sVersionMinor=$minor"
  mkdir -p "$out"
  run_logged "helm-$v" env GOBIN="$out" go install -v -trimpath -ldflags "$ld" "helm.sh/helm/v3/cmd/helm@$v"
}

build_coredns() {
  local v=$COREDNS_VERSION out="$KUBEHA_CACHE/bin/coredns-$COREDNS_VERSION"
  [ -x "$out/coredns" ] && { log "coredns $v: cached"; return; }
  mkdir -p "$out"
  run_logged "coredns-$v" env GOBIN="$out" go install -v -trimpath \
    -ldflags "-s -w -X github.com/coredns/coredns/coremain.GitCommit=$v" "github.com/coredns/coredns@$v"
}


# go_install NAME VERSION MODULE PKG... : `go install` each package of MODULE@VERSION into
# $KUBEHA_CACHE/bin/NAME-VERSION (LDFLAGS from the environment), skipped when all are there.
go_install() {
  local name=$1 v=$2 mod=$3; shift 3
  local out="$KUBEHA_CACHE/bin/$name-$v" pkg bin missing=()
  for pkg in "$@"; do
    bin=$(basename "$pkg")
    [[ $bin =~ ^v[0-9]+$ ]] && bin=$(basename "$(dirname "$pkg")")  # .../vegeta/v12 → vegeta
    [ -x "$out/$bin" ] || missing+=("$pkg@$v")
  done
  [ ${#missing[@]} -eq 0 ] && { log "$name $v: cached"; return; }
  mkdir -p "$out"
  run_logged "$name-$v" env GOBIN="$out" go install -v -trimpath -ldflags "-s -w ${LDFLAGS:-}" "${missing[@]}"
}

# MetalLB: LoadBalancer addresses (controller allocates from a pool, speaker answers ARP in L2 mode).
build_metallb() {
  # (its version string is set in the module source itself)
  go_install metallb "$METALLB_VERSION" go.universe.tf/metallb \
    go.universe.tf/metallb/controller go.universe.tf/metallb/speaker
  # Its CRDs, from the same module version, beside the binaries.
  local out="$KUBEHA_CACHE/bin/metallb-$METALLB_VERSION"
  if [ ! -s "$out/crds.yaml" ]; then
    go mod download -json "go.universe.tf/metallb@$METALLB_VERSION" >/dev/null
    local f
    for f in "$GOMODCACHE/go.universe.tf/metallb@$METALLB_VERSION"/config/crd/bases/*.yaml; do
      echo "---"; cat "$f"
    done >"$out/crds.yaml.tmp"
    mv "$out/crds.yaml.tmp" "$out/crds.yaml"
  fi
}

# go_wrapped NAME VERSION MODULE PKG : build PKG of MODULE@VERSION whose go.mod carries replace
# or exclude directives (which `go install m@v` refuses) through a small wrapper module that
# requires it and repeats those directives, into $KUBEHA_CACHE/bin/NAME-VERSION/.
# $REPLACES (lines "MOD => TARGET") replace modules beyond (or instead of) upstream's own.
# A replace by a local path (`=> ./dir`) names a module nested in upstream's repository, which
# no module zip holds (or one of $REPLACES): the caller's function named by $LOCAL_MODULE makes it
# (`$LOCAL_MODULE DIR RELATIVE_PATH UPSTREAM_MODULE_DIR`) and the replace points there.
go_wrapped() {
  local name=$1 v=$2 mod=$3 pkg=$4
  local out="$KUBEHA_CACHE/bin/$name-$v" src="$KUBEHA_CACHE/src/$name-$v"
  [ -x "$out/$(basename "$pkg")" ] && { log "$name $v: cached"; return; }
  rm -rf "$src" && mkdir -p "$src" "$out"
  go mod download -json "$mod@$v" >/dev/null
  local moddir
  moddir="$GOMODCACHE/$(echo "$mod" | sed 's/[A-Z]/!\L&/g')@$v"
  local up="$moddir/go.mod" ours
  ours=$(printf '%s\n' "${REPLACES:-}" | awk 'NF {print $1}' | tr '\n' ' ')
  {
    echo "module kubeha.local/$name"
    grep -E '^(go|godebug) ' "$up"
    echo "require $mod $v"
    # replace and exclude directives, single-line and in blocks, but those of $REPLACES' modules
    awk '/^(replace|exclude) *\(/{b=1} b{print} b&&/^\)/{b=0} !b&&/^(replace|exclude) [^(]/{print}' "$up" |
      awk -v ours="$ours" 'BEGIN {n = split(ours, a, " "); for (i = 1; i <= n; i++) o[a[i]] = 1}
        {m = $1 == "replace" ? $2 : $1} !(m in o)'
    printf '%s\n' "${REPLACES:-}" | awk 'NF {print "replace " $0}'
  } | sed 's#=> *\./#=> ./local/#' >"$src/go.mod"
  local dir
  for dir in $(sed -n 's#.*=> *\./local/\([^ ]*\).*#\1#p' "$src/go.mod"); do
    if [ -z "${LOCAL_MODULE:-}" ]; then
      log "$name $v: its go.mod replaces a module by the local path ./$dir, which its module zip lacks"
      return 1
    fi
    mkdir -p "$src/local/$dir"
    "$LOCAL_MODULE" "$src/local/$dir" "$dir" "$moddir"
  done
  (cd "$src" && run_logged "$name-$v" sh -c "go get '$pkg@$v' && go build -v -trimpath -ldflags '-s -w ${LDFLAGS:-}' -o '$out/$(basename "$pkg").new' '$pkg'")
  mv "$out/$(basename "$pkg").new" "$out/$(basename "$pkg")"
}

# Traefik v3: the Ingress controller (kubernetesIngress provider) and the Gateway API
# implementation (kubernetesGateway provider), one static binary.
# Three things v3.7's go.mod asks for are not to be had from the module proxy (cluster/README.md
# says more); check them again when TRAEFIK_VERSION changes:
# - github.com/traefik/traefik/dynamic/ext, a module nested in its repository: made here
#   (traefik_local_module);
# - github.com/containous/go-http-auth at b975dcaa8c48 (2026-08-04, the basic and digest auth
#   middlewares, which kubeha does not use): not served here, so the commit Traefik v3.6 uses,
#   whose API (BasicAuth, CheckSecret, NewDigestAuthenticator, DigestAuthParams) v3.7 calls the same;
# - the SDK modules of the lego v5 DNS providers below (ACME DNS challenges, off here): not served
#   at the versions lego asks for, so those providers are left out of lego's provider switch.
TRAEFIK_GO_HTTP_AUTH=v0.4.1-0.20200324110947-a37a7636d23e
TRAEFIK_LEGO_DROPPED="alidns aliesa azion dnsimple edgedns edgeone huaweicloud oraclecloud regfish sakuracloud tencentcloud ucloud yandexcloud"
build_traefik() {
  local v=$TRAEFIK_VERSION mod=github.com/traefik/traefik/v3 date lego
  date=$(module_time "$mod" "$v")
  lego=$(sed -n 's#^[[:space:]]*github.com/go-acme/lego/v5 \(v[^ ]*\).*#\1#p' "$GOMODCACHE/github.com/traefik/traefik/v3@$v/go.mod")
  local replaces="github.com/abbot/go-http-auth => github.com/containous/go-http-auth $TRAEFIK_GO_HTTP_AUTH"
  [ -z "$lego" ] || replaces+=$'\n'"github.com/go-acme/lego/v5 => ./lego"
  TRAEFIK_LEGO=$lego LOCAL_MODULE=traefik_local_module REPLACES=$replaces \
  LDFLAGS="-X $mod/pkg/version.Version=$v -X $mod/pkg/version.BuildDate=$date" \
    go_wrapped traefik "$v" "$mod" "$mod/cmd/traefik"
}

# traefik_local_module DIR RELPATH MODDIR: a module go_wrapped's Traefik wrapper replaces by a
# local directory (see build_traefik).
traefik_local_module() {
  local dir=$1 rel=$2 moddir=$3
  case $rel in
    pkg/config/dynamic/ext) traefik_ext_module "$dir" "$moddir" ;;
    lego) traefik_lego_module "$dir" ;;
    *) log "traefik: no local module for ./$rel"; return 1 ;;
  esac
}

# github.com/traefik/traefik/dynamic/ext, which Traefik v3.7's go.mod replaces by
# ./pkg/config/dynamic/ext: a module nested in its repository, so absent from the v3 module's
# zip, and not served by the module proxy. It holds the extension points of the dynamic
# configuration, types embedded inline in dynamic.HTTPConfiguration and dynamic.Router that
# Traefik's own (open source) builds leave empty. Made here as empty struct types, one for each
# ext.<Name> that Traefik's code uses: anything else (a method, a field) fails to compile, and
# then this needs a look at upstream's pkg/config/dynamic/ext of that tag.
traefik_ext_module() {
  local dir=$1 moddir=$2 files types t
  files=$(grep -rl --include='*.go' '"github.com/traefik/traefik/dynamic/ext"' "$moddir" | grep -v '_test\.go$' || true)
  types=$(for f in $files; do grep -oE '\bext\.[A-Z][A-Za-z0-9_]*' "$f"; done | cut -d. -f2 | sort -u)
  [ -n "$types" ] || { log "traefik: no use of github.com/traefik/traefik/dynamic/ext found"; return 1; }
  printf 'module github.com/traefik/traefik/dynamic/ext\n\ngo 1.24\n' >"$dir/go.mod"
  {
    echo "// Package ext: Traefik's dynamic configuration extension points, empty (made by kubeha's"
    echo "// cluster/lib/build.sh: this nested module of Traefik's repository is in no module zip)."
    echo "package ext"
    for t in $types; do printf '\n// %s is a dynamic configuration extension point.\ntype %s struct{}\n' "$t" "$t"; done
  } >"$dir/ext.go"
  log "traefik: made github.com/traefik/traefik/dynamic/ext (types: $(echo $types))"
}

# github.com/go-acme/lego/v5 at the version Traefik asks for, without the DNS providers of
# $TRAEFIK_LEGO_DROPPED in its generated provider switch (providers/dns/zz_gen_dns_providers.go):
# each import and `case` goes, so the SDK modules only they import are never needed, and a
# configuration naming one of them gets lego's "unrecognized DNS provider".
traefik_lego_module() {
  local dir=$1 v=$TRAEFIK_LEGO mod=github.com/go-acme/lego/v5
  go mod download -json "$mod@$v" >/dev/null
  rm -rf "$dir" && cp -r "$GOMODCACHE/$mod@$v" "$dir" && chmod -R u+w "$dir"
  local f=providers/dns/zz_gen_dns_providers.go
  awk -v drop="$TRAEFIK_LEGO_DROPPED" '
    BEGIN { n = split(drop, a, " "); for (i = 1; i <= n; i++) d[a[i]] = 1 }
    /^\t"github.com\/go-acme\/lego\/v5\/providers\/dns\/[a-z0-9]+"$/ {
      p = $0; sub(/.*\//, "", p); sub(/"$/, "", p); if (p in d) { gone[p]++; next } }
    /^\tcase / { held = $0; next }
    held != "" { q = $0; sub(/^\t\treturn /, "", q); sub(/\.NewDNSProvider\(\)$/, "", q)
                 if (q in d) { gone[q]++; held = ""; next } print held; held = "" }
    { print }
    END { for (p in d) if (gone[p] != 2) { print "lego: provider " p " not found" > "/dev/stderr"; exit 1 } }
  ' "$GOMODCACHE/$mod@$v/$f" >"$dir/$f"
  log "traefik: lego $v without the DNS providers $TRAEFIK_LEGO_DROPPED"
}

# The Gateway API's standard-channel CRDs (and the ValidatingAdmissionPolicy upstream ships among
# them), from the sigs.k8s.io/gateway-api module itself: the files a kustomization.yaml of the
# module lists (config/crd/standard's, else the standard/ entries of config/crd's), else every
# config/crd/standard/*.yaml (as upstream's hack/build-install-yaml.sh makes a release's
# standard-install.yaml), concatenated in that order into
# $KUBEHA_CACHE/bin/gateway-api-<version>/standard-install.yaml.
build_gateway_api() {
  local v=$GATEWAY_API_VERSION mod=sigs.k8s.io/gateway-api
  local out="$KUBEHA_CACHE/bin/gateway-api-$v"
  [ -s "$out/standard-install.yaml" ] && { log "gateway-api $v: cached"; return; }
  go mod download -json "$mod@$v" >/dev/null
  local crd="$GOMODCACHE/$mod@$v/config/crd" files=() f
  local dir="$crd/standard"
  if [ -f "$dir/kustomization.yaml" ]; then
    mapfile -t files < <(sed -n 's/^ *- *\([^ #]*\.yaml\).*/\1/p' "$dir/kustomization.yaml" | sed "s#^#$dir/#")
  elif grep -q '^ *- *standard/' "$crd/kustomization.yaml" 2>/dev/null; then  # v1.6: the list is one up
    mapfile -t files < <(sed -n 's/^ *- *\(standard\/[^ #]*\.yaml\).*/\1/p' "$crd/kustomization.yaml" | sed "s#^#$crd/#")
  else
    files=("$dir"/*.yaml)
  fi
  [ -e "${files[0]:-}" ] || { log "gateway-api $v: no CRDs in $dir"; return 1; }
  mkdir -p "$out"
  {
    echo "# Gateway API $v, standard channel: config/crd/standard of the $mod@$v module"
    echo "# (made by kubeha's cluster/lib/build.sh gateway-api)."
    for f in "${files[@]}"; do
      echo "---"
      echo "# ${f#"$GOMODCACHE/$mod@$v/"}"
      cat "$f"
      [ -z "$(tail -c1 "$f")" ] || echo
    done
  } >"$out/standard-install.yaml.tmp"
  # Each file says which bundle and channel it is from.
  local other
  other=$(grep -h 'gateway.networking.k8s.io/\(bundle-version\|channel\):' "$out/standard-install.yaml.tmp" |
    grep -vE "bundle-version: $v\$|channel: standard\$" || true)
  [ -z "$other" ] || { log "gateway-api $v: a file of $dir says $other"; return 1; }
  mv "$out/standard-install.yaml.tmp" "$out/standard-install.yaml"
  log "gateway-api $v: $(grep -c '^kind: CustomResourceDefinition' "$out/standard-install.yaml") CRDs in $out/standard-install.yaml"
}

# kube-network-policies: NetworkPolicy, one host process per node. It queues the first packet
# of each connection to user space and gives a verdict there. Built from a copy of its module
# with cluster/patches/kube-network-policies-<version>-*.patch applied (this kernel lacks
# nftables' `queue` expression: the patch queues with the xtables NFQUEUE target through nft
# compat instead, and lets a host process use a kubeconfig; the patch's header says more).
# Cached by version and by the checksum of the patches, so a changed patch rebuilds it.
build_kube_network_policies() {
  local v=$KUBE_NETWORK_POLICIES_VERSION mod=sigs.k8s.io/kube-network-policies
  local out="$KUBEHA_CACHE/bin/kube-network-policies-$v" src="$KUBEHA_CACHE/src/kube-network-policies-$v"
  local patches=("$here"/patches/kube-network-policies-"$v"-*.patch) sum
  [ -e "${patches[0]}" ] || { log "kube-network-policies $v: no patch in $here/patches"; return 1; }
  sum=$(cat "${patches[@]}" | sha256sum | cut -d' ' -f1)
  if [ -x "$out/kube-network-policies" ] && [ "$(cat "$out/patches.sha256" 2>/dev/null)" = "$sum" ]; then
    log "kube-network-policies $v: cached"; return
  fi
  go mod download -json "$mod@$v" >/dev/null
  rm -rf "$src" && mkdir -p "$(dirname "$src")" "$out"
  cp -r "$GOMODCACHE/$mod@$v" "$src" && chmod -R u+w "$src"  # the module cache is read-only
  local p
  for p in "${patches[@]}"; do
    log "kube-network-policies $v: applying $(basename "$p")"
    patch -d "$src" -p1 --forward --quiet <"$p"
  done
  (cd "$src" && run_logged "kube-network-policies-$v" \
    go build -v -trimpath -ldflags "-s -w" -o "$out/kube-network-policies.new" ./cmd)
  mv "$out/kube-network-policies.new" "$out/kube-network-policies"
  echo "$sum" >"$out/patches.sha256"
}

# containerd 2 (the nodes' CRI runtime: kubelet >= 1.36 asks the runtime for its cgroup driver
# through the CRI RuntimeConfig call, which containerd answers from 2.0; Debian 12 has 1.6), its
# runc shim and ctr. Pure Go: the snapshotters that need cgo (btrfs, devmapper) are left out.
build_containerd() {
  local pkg=github.com/containerd/containerd/v2
  LDFLAGS="-X $pkg/version.Version=$CONTAINERD_VERSION -X $pkg/version.Package=github.com/containerd/containerd"
  LDFLAGS+=" -X $pkg/version.Revision=$CONTAINERD_VERSION" \
    GOFLAGS="$GOFLAGS -tags=no_btrfs,no_devmapper,no_zfs,no_aufs" \
    go_install containerd "$CONTAINERD_VERSION" $pkg \
    $pkg/cmd/containerd $pkg/cmd/containerd-shim-runc-v2 $pkg/cmd/ctr
}

# vegeta, the load generator of bench/ and tests/topology (constant request rate, bounded
# duration, latency percentiles).
build_vegeta() {
  LDFLAGS="-X main.Version=$VEGETA_VERSION" \
    go_install vegeta "$VEGETA_VERSION" github.com/tsenart/vegeta/v12 github.com/tsenart/vegeta/v12
}

# CNCF Distribution's registry: each cluster's public and private OCI registries (host processes
# on the cluster bridge), and the short-lived one the build pushes the images and the chart into.
build_registry() {
  LDFLAGS="-X github.com/distribution/distribution/v3/version.version=$REGISTRY_VERSION" \
    go_install registry "$REGISTRY_VERSION" github.com/distribution/distribution/v3 \
    github.com/distribution/distribution/v3/cmd/registry
}

case "${1:-all}" in
  kube) build_kube ;;
  helm) build_helm ;;
  helm3) build_helm3 ;;
  coredns) build_coredns ;;
  metallb) build_metallb ;;
  traefik) build_traefik ;;
  gateway-api) build_gateway_api ;;
  kube-network-policies) build_kube_network_policies ;;
  vegeta) build_vegeta ;;
  containerd) build_containerd ;;
  registry) build_registry ;;
  all) build_helm; build_helm3; build_coredns; build_containerd; build_kube; build_metallb; build_traefik; build_gateway_api; build_kube_network_policies; build_vegeta; build_registry ;;
  *) echo "usage: build.sh kube|helm|helm3|coredns|containerd|metallb|traefik|gateway-api|kube-network-policies|vegeta|registry|all" >&2; exit 2 ;;
esac
