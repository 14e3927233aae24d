#!/usr/bin/env bash
# Every figure of the project in one run on the local cluster: the cluster's (warm up/down,
# memory, cold build times), the collection's cost over doing the same by hand (ratios), zero
# downtime and failed upgrades under load, and the duration of the last full test suite
# (reports/junit.xml of `make test`). Restarts and reinstalls things on the main cluster: run it
# on its own. Usage: bench/all.sh
set -euo pipefail
cd "$(dirname "$0")/.."
bench/cluster.sh 2
bench/collection.sh
.venv/bin/python bench/zero_downtime.py
.venv/bin/python bench/failed_upgrade.py
echo "== test suite (make test)"
if [ -f reports/junit.xml ]; then
  .venv/bin/python - <<'PY'
import xml.etree.ElementTree as ET
root = ET.parse("reports/junit.xml").getroot()
suites = [root] if root.tag == "testsuite" else list(root)
n = sum(int(s.get("tests", 0)) for s in suites)
bad = sum(int(s.get("failures", 0)) + int(s.get("errors", 0)) for s in suites)
t = sum(float(s.get("time", 0)) for s in suites)
print(f"last run: {n} tests, {bad} failed or errored, {t / 60:.1f} min ({suites[0].get('timestamp', '?')})")
PY
else
  echo "no reports/junit.xml yet: run make test"
fi
