"""Fixtures of the topology tests: a cluster of at least two worker nodes (the local cluster's
default), a namespace per module, and the demo app spread over the nodes."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid

import pytest
from topolib import ROOT, client_pod, eventually, new_namespace, nodes, web_manifest

sys.path.insert(0, str(ROOT / "bench"))
import failed_upgrade  # noqa: E402  (bench/: the collection's playbooks under load)


@pytest.fixture(scope="session")
def workers(cluster):
    found = nodes()
    if len(found) < 2:
        # `make test` runs its first phase on one worker (see the Makefile); these tests need
        # two. `up` with another worker count brings the cluster up again with that many.
        subprocess.run([str(ROOT / "cluster" / "kubeha-cluster"), "up"], check=True,
                       env={**os.environ, "KUBEHA_WORKERS": "2"})
        found = nodes()
    assert len(found) >= 2, f"two worker nodes expected, found {[n.name for n in found]}"
    return found


@pytest.fixture(scope="module")
def namespace(cluster, workers):
    name = new_namespace(cluster)
    yield name
    cluster.kubectl("delete", "namespace", name, "--wait=false")


@pytest.fixture(scope="module")
def web(cluster, namespace):
    """kubeha/web:v1, four replicas spread over the nodes, behind a NodePort Service; its port."""
    cluster.kubectl("-n", namespace, "apply", "-f", "-", input=web_manifest())
    cluster.kubectl("-n", namespace, "rollout", "status", "deploy/web", "--timeout=120s")
    svc = json.loads(cluster.kubectl("-n", namespace, "get", "svc", "web", "-o", "json").stdout)
    return svc["spec"]["ports"][0]["nodePort"]


@pytest.fixture(scope="module")
def clients(cluster, namespace, workers):
    """One client pod pinned to each node: {node name: pod name}."""
    out = {}
    for i, node in enumerate(workers):
        name = f"client-{i + 1}"
        cluster.kubectl("-n", namespace, "apply", "-f", "-", input=client_pod(name, node.name))
        out[node.name] = name
    for name in out.values():
        cluster.kubectl("-n", namespace, "wait", f"pod/{name}", "--for=condition=Ready",
                        "--timeout=120s")
    return out


@pytest.fixture(scope="session")
def deployed_by_collection(cluster, workers):
    """The web app (v1, 4 replicas) installed by deploy.yml in a namespace of its own, behind its
    LoadBalancer address: (release, url). One release for the session: each test starts from
    what the previous one left (its image is read, not assumed). Its namespace is deleted
    afterwards without waiting (uninstall.yml has tests of its own; waiting here for the pods'
    preStop pause would only cost time). The session's last test takes the cluster down (test_cli):
    then there is nothing left to delete."""
    ns = f"kubeha-coll-topo-{uuid.uuid4().hex[:6]}"
    rel, url = failed_upgrade.deployed(ns)
    yield rel, url
    cluster.kubectl("delete", "namespace", ns, "--ignore-not-found", "--wait=false", check=False)


@pytest.fixture(scope="module")
def deployed_pulling_always(cluster, workers):
    """Like deployed_by_collection, but its image is pulled from the cluster's public registry at
    every pod start (imagePullPolicy Always), so that a stopped registry fails the pull."""
    ns = f"kubeha-coll-pull-{uuid.uuid4().hex[:6]}"
    rel, url = failed_upgrade.deployed(ns, always_pull=True)
    yield rel, url
    cluster.kubectl("delete", "namespace", ns, "--wait=false")


def exec_in(cluster, namespace: str, pod: str, *cmd: str, check: bool = True):
    return cluster.kubectl("-n", namespace, "exec", pod, "--", *cmd, check=check, timeout=60)


@pytest.fixture
def kexec(cluster, namespace):
    return lambda pod, *cmd, check=True: exec_in(cluster, namespace, pod, *cmd, check=check)


__all__ = ["eventually"]
