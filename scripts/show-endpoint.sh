#!/usr/bin/env bash
# Prints, for each local cluster, the curl command a person can paste to reach the web app.
set -euo pipefail
cd "$(dirname "$0")/.."
ns=${1:-webapp} release=${2:-webapp}
while read -r name index _workers _version <&3; do
  cli() { KUBEHA_CLUSTER=$name KUBEHA_CLUSTER_INDEX=$index cluster/kubeha-cluster "$@"; }
  kubectl() { "$(cli bin-dir)/kubectl" --kubeconfig "$(cli kubeconfig)" "$@"; }
  svc=$(kubectl -n "$ns" get svc -l "app.kubernetes.io/instance=$release" -o name 2>/dev/null | head -n1 || true)
  if [ -z "$svc" ]; then
    echo "cluster $name: no release $release in namespace $ns"
    continue
  fi
  lb=$(kubectl -n "$ns" get "$svc" -o jsonpath='{.status.loadBalancer.ingress[0].ip}')
  port=$(kubectl -n "$ns" get "$svc" -o jsonpath='{.spec.ports[0].nodePort}')
  host=$(kubectl -n "$ns" get ingress -l "app.kubernetes.io/instance=$release" \
         -o jsonpath='{.items[0].spec.rules[0].host}' 2>/dev/null || true)
  route=$(kubectl -n "$ns" get httproute -l "app.kubernetes.io/instance=$release" \
         -o jsonpath='{.items[0].spec.hostnames[0]}' 2>/dev/null || true)
  echo "cluster $name:"
  if [ -n "$lb" ]; then echo "  curl http://$lb/   # LoadBalancer"; fi
  if [ -n "$port" ]; then echo "  curl http://$(cli node-ip):$port/   # NodePort"; fi
  if [ -n "$host" ]; then echo "  curl -H 'Host: $host' http://$(cli ingress-ip)/   # Ingress"; fi
  if [ -n "$route" ]; then
    gw=$(cli gateway-ip)
    echo "  curl -H 'Host: $route' http://$gw/   # Gateway (HTTPRoute)"
    echo "  curl --cacert $(cli facts | python3 -c 'import json,sys; print(json.load(sys.stdin)["gateway"]["ca_file"])')" \
         "--resolve $route:443:$gw https://$route/   # Gateway, HTTPS"
  fi
  if [ -z "$lb$port" ]; then
    echo "  KUBECONFIG=$(cli kubeconfig) $(cli bin-dir)/kubectl -n $ns port-forward $svc 8080:80 & curl http://127.0.0.1:8080/"
  fi
done 3< <(scripts/local-clusters)
