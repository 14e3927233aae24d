"""Promotion across clusters: one after the other, stopping at the first that fails.

Two inventory hosts stand for two clusters (the local cluster, two namespaces: a "staging" and a
"production" one). An upgrade that fails on the first stops the play before the second is touched;
a canary upgrade completes on the first before the second starts, and a failed analysis on the
second leaves the first on the new version and the second on its own.
One summary table lists both. kubeha_parallel=true (every cluster at once) is what the molecule
multi-cluster scenario deploys with.
"""
from __future__ import annotations

import json
import subprocess

import pytest
import yaml

from playlib import ROOT, App, GatewayLoad, delete_namespace, new_namespace, run_playbook, traefik_metrics_urls

pytestmark = pytest.mark.cluster


@pytest.fixture(scope="module")
def fleet(cluster, tmp_path_factory):
    local = yaml.safe_load((ROOT / "inventories" / "local" / "group_vars" / "local.yml").read_text())
    # The local inventory's app and checks; the values that come from the cluster CLI are set here.
    common = {k: v for k, v in local.items()
              if k.startswith(("install_", "verify_", "kubeha_demo_", "kubeha_local_", "kubeha_extra_",
                               "kubeha_gateway", "kubeha_registry", "webapp_registry_", "bootstrap_namespace_"))
              and k not in ("install_manage_namespace",)}
    common.update(
        kubeha_cluster_cli=str(ROOT / "cluster" / "kubeha-cluster"),  # the demo values are found beside it
        ansible_connection="local",
        ansible_python_interpreter=str(ROOT / ".venv" / "bin" / "python"),
        webapp_kubeconfig=str(cluster.kubeconfig),
        webapp_context="kubeha-local",
        webapp_helm_binary=str(cluster.bin_dir / "helm"),
        verify_node_addresses=[cluster.node_ip],
        kubeha_ingress_ip=subprocess.run([str(ROOT / "cluster" / "kubeha-cluster"), "ingress-ip"], text=True,
                                         capture_output=True, check=True).stdout.strip(),
        # The shared Gateway's address, listeners and CA (the route's checks).
        kubeha_facts=json.loads(subprocess.run([str(ROOT / "cluster" / "kubeha-cluster"), "facts"], text=True,
                                               capture_output=True, check=True).stdout),
    )
    names = {"stage-a": new_namespace("kubeha-coll-stage"), "prod-b": new_namespace("kubeha-coll-prod")}
    hosts = {h: {"webapp_namespace": ns} for h, ns in names.items()}
    inv = tmp_path_factory.mktemp("fleet") / "hosts.yml"
    inv.write_text(yaml.safe_dump({"all": {"vars": common, "children": {"clusters": {"hosts": hosts}}}},
                                  sort_keys=False))
    apps = {h: App(cluster, ns) for h, ns in names.items()}
    yield inv, apps
    for ns in names.values():
        delete_namespace(cluster, ns)


def play(inv, playbook, **extra):
    return run_playbook(playbook, extra, inventory=inv)


def test_deploy_runs_cluster_by_cluster(fleet):
    inv, apps = fleet
    run = play(inv, "deploy")
    assert run.rc == 0, run.tail()
    out = run.output
    assert out.index("[stage-a]") < out.index("[prod-b]")
    assert "PLAY [Deploy the web app]" in out and out.count("Summary | print the table") >= 1
    for app in apps.values():
        assert app.revision() == 1 and app.pod_images() == {app.cluster.image("v1")}
    # One table at the end, with both clusters.
    table = run.flat().split("Summary | print the table")[-1]
    assert "stage-a" in table and "prod-b" in table


def test_failed_upgrade_stops_promotion_at_the_first_cluster(fleet):
    inv, apps = fleet
    before = {h: a.revision() for h, a in apps.items()}
    run = play(inv, "upgrade", upgrade_image_tag="crash")
    assert run.rc != 0
    assert "stage-a" in run.recap and run.recap["stage-a"]["failed"] == 1
    assert "prod-b" not in run.recap, "the second cluster must not be touched"
    assert apps["prod-b"].revision() == before["prod-b"]
    assert apps["prod-b"].pod_images() == {apps["prod-b"].cluster.image("v1")}
    assert apps["stage-a"].history()[-1]["description"] == f"Rollback to {before['stage-a']}"
    table = run.flat().split("Summary | print the table")[-1]
    assert "stage-a" in table and "ROLLED BACK" in table
    assert "prod-b" in table and "not run" in table


def test_a_canary_completes_on_each_cluster_in_turn_and_a_failed_analysis_stops_the_promotion(fleet, cluster):
    inv, apps = fleet
    gateway = json.loads(subprocess.run([str(ROOT / "cluster" / "kubeha-cluster"), "facts"], text=True,
                                        capture_output=True, check=True).stdout)["gateway_ip"]
    loads = {h: GatewayLoad(gateway, f"webapp-{a.namespace}.kubeha.test") for h, a in apps.items()}
    with loads["stage-a"], loads["prod-b"]:
        run = play(inv, "upgrade", upgrade_image_tag="v2", upgrade_strategy="canary", upgrade_canary_steps=[100],
                   upgrade_canary_pause_seconds=3, upgrade_canary_min_requests=10,
                   upgrade_canary_metrics_urls=traefik_metrics_urls(cluster),
                   # production holds its canary to a latency no real answer meets: its analysis fails
                   upgrade_canary_max_p99_ms="{{ 0.001 if inventory_hostname == 'prod-b' else 500 }}")
    assert run.rc != 0
    assert run.recap["stage-a"]["failed"] == 0 and run.recap["prod-b"]["failed"] == 1
    out = run.output
    assert out.rindex("[stage-a]") < out.index("[prod-b]"), "the first cluster's canary must end before the second's starts"
    a, b = apps["stage-a"], apps["prod-b"]
    assert a.pod_images() == {a.cluster.image("v2")} and "canary" not in a.values()
    assert b.pod_images() == {b.cluster.image("v1")} and "canary" not in b.values()
    assert "above max_p99_ms 0.001 ms" in run.flat()
    assert loads["stage-a"].failed() == [] and loads["prod-b"].failed() == []
    table = run.flat().split("Summary | print the table")[-1]
    assert "stage-a" in table and "changed" in table and "prod-b" in table and "ROLLED BACK" in table
