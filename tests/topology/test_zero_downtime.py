"""Zero downtime under load: 250 requests per second through the webapp chart's LoadBalancer
address (vegeta, keep-alive connections) during an upgrade v1->v2, a rollback, a scale-down
10->2, a deleted pod and a drained and stopped worker node, and during the upgrade at the same
rate through the cluster's shared Gateway too (the release's HTTPRoute); not one request may
fail. The load covers the whole disruption (until its terminating pods are gone). Latency figures are printed
by bench/zero_downtime.py; this test asserts only the failures."""
from __future__ import annotations

import sys
import uuid

import pytest
from topolib import ROOT

sys.path.insert(0, str(ROOT / "bench"))
import zero_downtime as zd  # noqa: E402

pytestmark = [pytest.mark.cluster, pytest.mark.disruptive]

RATE = 250


@pytest.fixture(scope="module")
def release(cluster, workers):
    kubectl, helm = zd.tools()
    ns = f"kubeha-zd-{uuid.uuid4().hex[:6]}"
    kubectl("create", "namespace", ns)
    rel = zd.Release(kubectl, helm, ns)
    rel.upgrade("image.tag=v1", "replicas=4")
    yield rel, zd.scenarios(rel, kubectl, RATE, 30), rel.address()
    kubectl("delete", "namespace", ns, "--wait=false")


@pytest.mark.parametrize("scenario", ["upgrade", "rollback", "scale", "delete-pod", "drain-node"])
def test_no_request_fails_during(release, scenario):
    rel, table, url = release
    results = zd.run_scenario(rel, table, scenario, url, RATE, 30)
    lines = "\n".join(r.line() for r in results.values())
    print(lines)
    assert all(r.requests >= RATE * 5 for r in results.values()), lines
    assert all(r.failed == 0 for r in results.values()), lines
