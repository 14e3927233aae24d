"""Every playbook runs against both clusters of the local inventory (kubeha and kubeha-b: their
own API servers, nodes, address ranges, LoadBalancer pools), one cluster after the other, and
each cluster ends in the state the playbook asked for. Checked on each cluster itself: helm
history, the pods' images, and the app's answers through that cluster's NodePort."""
from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from playlib import ROOT, App, delete_namespace, new_namespace

pytestmark = pytest.mark.cluster

CLI = ROOT / "cluster" / "kubeha-cluster"
BOTH = {"kubeha-local": ("kubeha", 0), "kubeha-local-b": ("kubeha-b", 1)}


def cluster_of(main, name: str, index: int):
    """The cluster `name` seen like `main` (the suite's cluster fixture) is."""
    env = {**os.environ, "KUBEHA_CLUSTER": name, "KUBEHA_CLUSTER_INDEX": str(index)}

    def cli(*args: str) -> str:
        return subprocess.run([str(CLI), *args], env=env, check=True, text=True,
                              capture_output=True, timeout=600).stdout.strip()
    return type(main)(kubeconfig=Path(cli("kubeconfig")), bin_dir=Path(cli("bin-dir")), node_ip=cli("node-ip"))


@pytest.fixture(scope="module")
def apps(cluster, every_cluster, tmp_path_factory):
    """The same release in the same namespace on both clusters."""
    ns = new_namespace("kubeha-multi")
    tmp = tmp_path_factory.mktemp("multi")
    result = {host: App(cluster_of(cluster, *where), ns, tmp=tmp) for host, where in BOTH.items()}
    yield result
    for app in result.values():
        delete_namespace(app.cluster, ns)


def play(apps: dict[str, App], playbook: str, **extra):
    """Run `playbook` once for the whole inventory (no limit): both clusters."""
    first = next(iter(apps.values()))
    run = first.play(playbook, kubeha_clusters="clusters", **extra)
    assert set(run.recap) == set(BOTH), run.tail()
    assert all(r["failed"] == 0 and r["unreachable"] == 0 for r in run.recap.values()), run.tail()
    return run


def test_the_two_clusters_are_distinct(apps):
    a, b = (app.cluster for app in apps.values())
    assert a.kubeconfig != b.kubeconfig and a.node_ip != b.node_ip
    names = {host: {n["metadata"]["name"] for n in app.kubectl_json("get", "nodes")["items"]}
             for host, app in apps.items()}
    assert names["kubeha-local"].isdisjoint(names["kubeha-local-b"])


def test_deploy_installs_and_verifies_on_both(apps):
    run = play(apps, "deploy")
    # One cluster after the other (promotion order of the inventory).
    assert run.output.index("[kubeha-local]") < run.output.index("[kubeha-local-b]")
    for app in apps.values():
        assert app.revision() == 1 and app.pod_images() == {"kubeha/web:v1"}
        assert app.bodies() == {"kubeha-web version=v1"}


def test_deploy_again_changes_nothing_on_either(apps):
    run = play(apps, "deploy")
    assert all(r["changed"] == 0 for r in run.recap.values()), run.tail()
    assert {app.revision() for app in apps.values()} == {1}


def test_scale_sets_the_replicas_on_both(apps):
    play(apps, "scale", scale_replicas=3)
    for app in apps.values():
        status = app.deployment()["status"]
        assert status["readyReplicas"] == status["replicas"] == 3


def test_upgrade_rolls_v2_out_on_both(apps):
    play(apps, "upgrade", upgrade_image_tag="v2")
    for app in apps.values():
        app.wait_settled()
        assert app.pod_images() == {"kubeha/web:v2"}
        assert app.bodies() == {"kubeha-web version=v2"}


def test_rollback_returns_both_to_v1(apps):
    play(apps, "rollback")
    for app in apps.values():
        app.wait_settled()
        assert app.pod_images() == {"kubeha/web:v1"}
        assert app.bodies() == {"kubeha-web version=v1"}
        assert app.deployment()["spec"]["replicas"] == 3


def test_verify_checks_every_access_path_of_both(apps):
    run = play(apps, "verify")
    for host in BOTH:
        assert f"[{host}]" in run.output


def test_uninstall_removes_the_release_from_both(apps):
    play(apps, "uninstall", uninstall_confirm=True)
    for app in apps.values():
        assert app.history() == [] and app.pods() == []
