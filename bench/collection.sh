#!/usr/bin/env bash
# Prints how much the collection costs over doing the same by hand, on the local cluster:
#   deploy.yml                  vs  the same by hand: the namespace with its Pod Security labels,
#                                   helm upgrade --install --wait, kubectl rollout status (deploy.yml
#                                   waits until the replicas are available, minReadySeconds
#                                   included, which helm's --wait does not), and curl of each access
#                                   path deploy.yml checks: the ClusterIP from a pod (kubectl run),
#                                   every node's NodePort, the LoadBalancer and the Ingress
#                                                                              (target <= 1.15x)
#                               and, for reference, vs helm --wait + one curl of a NodePort
#   upgrade.yml of 10 replicas  vs  kubectl set image + rollout status         (target <= 1.10x)
# Both sides use the same chart values and reach the same end state. It reinstalls the `webapp`
# release of the local cluster: run it on its own.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/.venv/bin:$(cluster/kubeha-cluster bin-dir):$PATH"
export KUBECONFIG
KUBECONFIG=$(cluster/kubeha-cluster kubeconfig)
# The baseline is one cluster: the collection side runs against the same one only.
ANSIBLE_EXTRA=(-e kubeha_clusters=kubeha-local)
ns=webapp release=webapp node_ip=$(cluster/kubeha-cluster node-ip)
values=$(mktemp --suffix=.yaml); trap 'rm -f "$values"' EXIT

now() { echo "$EPOCHREALTIME"; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
quiet() { "$@" >/dev/null 2>&1; }
# Each timed deploy starts from the same state: no release, and no pod of the last one still
# shutting down (the app drains for a few seconds after SIGTERM, using CPU the next deploy needs).
uninstall() {
  quiet helm -n "$ns" uninstall "$release" --wait || true
  quiet kubectl -n "$ns" wait --for=delete pod -l "app.kubernetes.io/instance=$release" --timeout=120s || true
}
nodeport() { kubectl -n "$ns" get svc "$release" -o jsonpath='{.spec.ports[0].nodePort}'; }
curl_app() {  # curl_app VERSION: one NodePort, as a quick manual check would
  curl -fsS -m 5 "http://$node_ip:$(nodeport)/" | grep "version=$1" >/dev/null
}
# What deploy.yml checks, typed by hand: the ClusterIP from a client pod (restricted namespace),
# the NodePort on every node, the LoadBalancer address and the Ingress host.
client_pod='{"apiVersion":"v1","spec":{"securityContext":{"runAsNonRoot":true,
  "seccompProfile":{"type":"RuntimeDefault"}},"containers":[{"name":"check","image":"kubeha/client:v1",
  "imagePullPolicy":"Never","command":["curl","-fsS","-m","5","http://'$release.$ns'.svc:80/"],
  "securityContext":{"allowPrivilegeEscalation":false,"capabilities":{"drop":["ALL"]}}}]}}'
retry() {  # retry CMD...: a few tries half a second apart, as deploy.yml's checks retry
  local i
  for i in 1 2 3 4 5 6 7 8 9 10; do "$@" && return 0; sleep 0.5; done
  echo "failed 10 times: $*" >&2; return 1
}
answers() {  # answers VERSION CURL_ARGS...
  local v=$1; shift
  curl -fsS -m 5 "$@" | grep "version=$v" >/dev/null
}
curl_every_path() {  # curl_every_path VERSION
  kubectl -n "$ns" run kubeha-hand-check --rm -i --restart=Never --image=kubeha/client:v1 \
    --overrides="$client_pod" 2>/dev/null | grep "version=$1" >/dev/null
  local port ip; port=$(nodeport)
  for ip in $(cluster/kubeha-cluster node-ip --all | awk '{print $2}'); do
    retry answers "$1" "http://$ip:$port/"
  done
  ip=$(kubectl -n "$ns" get svc "$release" -o jsonpath='{.status.loadBalancer.ingress[0].ip}')
  retry answers "$1" "http://$ip/"
  retry answers "$1" -H "Host: $release.$ns.kubeha.test" "http://$(cluster/kubeha-cluster ingress-ip)/"
}
namespace() {
  kubectl apply --server-side -f - >/dev/null <<YAML
apiVersion: v1
kind: Namespace
metadata:
  name: $ns
  labels:
    pod-security.kubernetes.io/enforce: restricted
    pod-security.kubernetes.io/enforce-version: latest
    pod-security.kubernetes.io/audit: restricted
    pod-security.kubernetes.io/warn: restricted
YAML
}

# The values deploy.yml gives helm, so the hand-made baseline installs exactly the same.
quiet ansible-playbook playbooks/deploy.yml "${ANSIBLE_EXTRA[@]}"
helm -n "$ns" get values "$release" -o yaml >"$values"

median() { tr ' ' '\n' | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

# One deploy takes 12-14 s, and a single run of either side varies by a second or two: each side
# runs DEPLOY_RUNS times (default 5), interleaved, and the medians are compared.
runs=${DEPLOY_RUNS:-5}
echo "== deploy ($runs runs each, medians)"
plays="" hands="" quicks=""
for _ in $(seq "$runs"); do
  uninstall
  t0=$(now); quiet ansible-playbook playbooks/deploy.yml "${ANSIBLE_EXTRA[@]}"; t1=$(now)
  uninstall
  t2=$(now)
  namespace
  quiet helm upgrade --install "$release" charts/webapp -n "$ns" -f "$values" --wait --timeout 5m
  quiet kubectl -n "$ns" rollout status "deploy/$release" --timeout=5m
  curl_every_path v1; t3=$(now)
  uninstall
  t4=$(now)
  quiet helm upgrade --install "$release" charts/webapp -n "$ns" -f "$values" --wait --timeout 5m
  curl_app v1; t5=$(now)
  plays+=" $(secs "$t0" "$t1")" hands+=" $(secs "$t2" "$t3")" quicks+=" $(secs "$t4" "$t5")"
done
# The release as deploy.yml leaves it, for the upgrade below.
uninstall
quiet ansible-playbook playbooks/deploy.yml "${ANSIBLE_EXTRA[@]}"
play=$(echo $plays | median) hand=$(echo $hands | median) quick=$(echo $quicks | median)
echo "deploy.yml ${play} s (runs:${plays}), the same by hand ${hand} s (runs:${hands}): ratio $(ratio "$play" "$hand") (target <= 1.15)"
echo "  for reference: helm --wait + one curl ${quick} s (no availability wait, one path): ratio $(ratio "$play" "$quick")"

echo "== upgrade of 10 replicas"
quiet ansible-playbook playbooks/scale.yml "${ANSIBLE_EXTRA[@]}" -e scale_replicas=10
container=$(kubectl -n "$ns" get deploy "$release" -o jsonpath='{.spec.template.spec.containers[0].name}')
v1_image=$(kubectl -n "$ns" get deploy "$release" -o jsonpath='{.spec.template.spec.containers[0].image}')
t0=$(now); quiet ansible-playbook playbooks/upgrade.yml "${ANSIBLE_EXTRA[@]}" -e upgrade_image_tag=v2; t1=$(now)
t2=$(now)
quiet kubectl -n "$ns" set image "deploy/$release" "$container=$v1_image"
quiet kubectl -n "$ns" rollout status "deploy/$release" --timeout=10m
t3=$(now)
play=$(secs "$t0" "$t1") hand=$(secs "$t2" "$t3")
echo "upgrade.yml ${play} s, set image + rollout status ${hand} s: ratio $(ratio "$play" "$hand") (target <= 1.10)"

# Back to the inventory's state.
quiet ansible-playbook playbooks/upgrade.yml "${ANSIBLE_EXTRA[@]}" -e upgrade_image_tag=v1
quiet ansible-playbook playbooks/scale.yml "${ANSIBLE_EXTRA[@]}" -e scale_replicas=2
