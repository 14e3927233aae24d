#!/usr/bin/env bash
# Prints the local cluster's figures: warm `up` time (binaries and images cached) to node Ready
# plus DNS answering, `down` time, memory of the running cluster, and the cold build times
# recorded in the build logs. Usage: bench/cluster.sh [runs]   (default 3 warm runs)
# It restarts the cluster named by KUBEHA_CLUSTER (default kubeha): run it on its own.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-3}
cli=cluster/kubeha-cluster
py=.venv/bin/python
: "${KUBEHA_CACHE:=${XDG_CACHE_HOME:-$HOME/.cache}/kubeha}"

$cli build >/dev/null 2>&1
echo "== warm up / down ($runs runs; target: up <= 15 s)"
for i in $(seq "$runs"); do
  $cli down >/dev/null 2>&1
  t0=$EPOCHREALTIME; $cli up >/dev/null 2>&1; t1=$EPOCHREALTIME
  awk -v i="$i" -v a="$t0" -v b="$t1" 'BEGIN { printf "run %d: up %.1f s\n", i, b - a }'
done
echo "== memory (target <= 1536 MiB)"
$py bench/cluster_memory.py
t0=$EPOCHREALTIME; $cli down >/dev/null 2>&1; t1=$EPOCHREALTIME
awk -v a="$t0" -v b="$t1" 'BEGIN { printf "down: %.1f s\n", b - a }'
$cli up >/dev/null 2>&1
echo "== cold build times recorded in $KUBEHA_CACHE/logs (target: all <= 25 min)"
for f in "$KUBEHA_CACHE"/logs/build-*.log; do
  [ -e "$f" ] || continue
  printf '%-40s %s\n' "$(basename "$f" .log)" "$(grep -o 'built in [0-9]* s' "$f" | tail -1 || true)"
done
