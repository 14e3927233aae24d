#!/usr/bin/env bash
# Prints the curl command a person can paste to reach the web app on the local cluster.
set -euo pipefail
cd "$(dirname "$0")/.."
ns=${1:-webapp} release=${2:-webapp}
export KUBECONFIG
KUBECONFIG=$(cluster/kubeha-cluster kubeconfig)
kubectl="$(cluster/kubeha-cluster bin-dir)/kubectl"
svc=$("$kubectl" -n "$ns" get svc -l "app.kubernetes.io/instance=$release" -o name | head -n1)
port=$("$kubectl" -n "$ns" get "$svc" -o jsonpath='{.spec.ports[0].nodePort}')
if [ -n "$port" ]; then
  echo "Reach the app:  curl http://$(cluster/kubeha-cluster node-ip):$port/"
else
  echo "Reach the app:  KUBECONFIG=$KUBECONFIG $kubectl -n $ns port-forward $svc 8080:80 & curl http://127.0.0.1:8080/"
fi
