#!/usr/bin/env bash
# Every figure of the project in one run on the local cluster: the cluster's (warm up/down,
# memory, cold build times), the collection's cost over doing the same by hand (ratios), zero
# downtime and failed upgrades under load, and the duration of the last full test suite
# (reports/junit-*.xml of `make test`). Restarts and reinstalls things on the main cluster: run it
# on its own. Usage: bench/all.sh
set -euo pipefail
cd "$(dirname "$0")/.."
bench/cluster.sh 2
bench/collection.sh
.venv/bin/python bench/zero_downtime.py
.venv/bin/python bench/failed_upgrade.py
.venv/bin/python bench/canary.py
echo "== test suite (make test)"
if compgen -G "reports/junit-*.xml" >/dev/null; then
  .venv/bin/python tools/test_summary.py reports/junit-*.xml
else
  echo "no reports/junit-*.xml yet: run make test"
fi
