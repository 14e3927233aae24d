#!/usr/bin/env bash
# Prints how much the collection costs over doing the same by hand, on the local cluster:
#   deploy.yml                       vs  helm upgrade --install --wait + curl   (target <= 1.15x)
#   upgrade.yml of 10 replicas        vs  kubectl set image + rollout status     (target <= 1.10x)
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
uninstall() { quiet helm -n "$ns" uninstall "$release" --wait || true; }
curl_app() {
  local port; port=$(kubectl -n "$ns" get svc "$release" -o jsonpath='{.spec.ports[0].nodePort}')
  curl -fsS -m 5 "http://$node_ip:$port/" | grep -q "version=$1"
}

# The values deploy.yml gives helm, so the hand-made baseline installs exactly the same.
quiet ansible-playbook playbooks/deploy.yml "${ANSIBLE_EXTRA[@]}"
helm -n "$ns" get values "$release" -o yaml >"$values"

echo "== deploy"
uninstall
t0=$(now); quiet ansible-playbook playbooks/deploy.yml "${ANSIBLE_EXTRA[@]}"; t1=$(now)
uninstall
t2=$(now)
quiet helm upgrade --install "$release" charts/webapp -n "$ns" -f "$values" --wait --timeout 5m
curl_app v1; t3=$(now)
play=$(secs "$t0" "$t1") hand=$(secs "$t2" "$t3")
echo "deploy.yml ${play} s, helm + curl ${hand} s: ratio $(ratio "$play" "$hand") (target <= 1.15)"

echo "== upgrade of 10 replicas"
quiet ansible-playbook playbooks/scale.yml "${ANSIBLE_EXTRA[@]}" -e scale_replicas=10
container=$(kubectl -n "$ns" get deploy "$release" -o jsonpath='{.spec.template.spec.containers[0].name}')
t0=$(now); quiet ansible-playbook playbooks/upgrade.yml "${ANSIBLE_EXTRA[@]}" -e upgrade_image_tag=v2; t1=$(now)
t2=$(now)
quiet kubectl -n "$ns" set image "deploy/$release" "$container=kubeha/web:v1"
quiet kubectl -n "$ns" rollout status "deploy/$release" --timeout=10m
t3=$(now)
play=$(secs "$t0" "$t1") hand=$(secs "$t2" "$t3")
echo "upgrade.yml ${play} s, set image + rollout status ${hand} s: ratio $(ratio "$play" "$hand") (target <= 1.10)"

# Back to the inventory's state.
quiet ansible-playbook playbooks/upgrade.yml "${ANSIBLE_EXTRA[@]}" -e upgrade_image_tag=v1
quiet ansible-playbook playbooks/scale.yml "${ANSIBLE_EXTRA[@]}" -e scale_replicas=2
