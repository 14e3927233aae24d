"""Every role refuses bad arguments before touching the cluster, naming the argument.

A release is deployed first; after the refused runs the release must be exactly as it was: same
helm revision, same Deployment generation, same image. The runs share one ansible-playbook
(playlib.run_cases), each case in a block of its own.
"""
from __future__ import annotations

import pytest

from playlib import run_cases

pytestmark = pytest.mark.cluster


@pytest.fixture(scope="module")
def deployed(app):
    app.play("deploy")
    return app


def snapshot(app):
    dep = app.deployment()
    return (app.revision(), dep["metadata"]["generation"], tuple(sorted(app.pod_images())))


CASES = [
    # (playbook, extra vars, texts the error must contain)
    ("scale", {"scale_replicas": "many"}, ["scale_replicas", "int"]),
    ("scale", {"scale_replicas": -1}, ["scale_replicas=-1", "must be 0 or more"]),
    ("scale", {}, ["scale_replicas"]),
    ("scale", {"scale_replicas": 500}, ["scale_replicas=500", "scale_max_replicas"]),
    ("upgrade", {}, ["upgrade_image_tag or upgrade_image_digest"]),
    ("upgrade", {"upgrade_image_tag": "v2;rm -rf"}, ["upgrade_image_tag=", "is not an image tag"]),
    ("upgrade", {"upgrade_image_digest": "sha256:abc"}, ["upgrade_image_digest=", "is not a digest"]),
    # The local inventory's images come from the cluster's registry, which is asked; an image the
    # nodes must already hold (imagePullPolicy Never) is looked for on the nodes.
    ("upgrade", {"upgrade_image_tag": "v9"}, ["upgrade_image_tag=v9", "/kubeha/web:v9 does not exist in registry"]),
    ("deploy", {"install_image_repository": "kubeha/web", "install_image_tag": "v9", "install_override_live": True,
                "kubeha_extra_values": {"image": {"pullPolicy": "Never"}}},
     ["install_image_tag=v9", "kubeha/web:v9 is on no node"]),
    ("upgrade", {"upgrade_image_tag": "v2", "upgrade_image_repository": "Not A/Repo"},
     ["upgrade_image_repository=", "is not an image repository"]),
    ("upgrade", {"upgrade_image_tag": "v2", "upgrade_verify": "sometimes"}, ["upgrade_verify", "bool"]),
    ("deploy", {"install_image_repository": "UPPER/case"}, ["install_image_repository=", "is not an image repository"]),
    ("deploy", {"install_replicas": -2}, ["install_replicas=-2", "must be 1 or more"]),
    ("deploy", {"install_values": {"replicas": 5}}, ["install_values must not set replicas"]),
    ("deploy", {"install_values": "service.type=NodePort"}, ["install_values", "dict"]),
    ("deploy", {"install_pod_security_level": "strict"}, ["install_pod_security_level", "restricted"]),
    # The chart's strict schema refuses an unknown key at helm upgrade: nothing is applied.
    ("deploy", {"install_values": {"servce": {"type": "NodePort"}}}, ["servce"]),
    ("rollback", {"rollback_revision": -1}, ["rollback_revision=-1"]),
    ("rollback", {"rollback_revision": "last"}, ["rollback_revision", "int"]),
    ("verify", {"verify_checks": ["clusterip", "telepathy"]}, ["verify_checks", "telepathy"]),
    ("verify", {"verify_retries": 0}, ["verify_retries=0"]),
    ("deploy", {"webapp_release": "Web_App"}, ["webapp_release=Web_App", "DNS label"]),
    ("deploy", {"webapp_rollout_timeout": "soon"}, ["webapp_rollout_timeout", "int"]),
    ("deploy", {"webapp_kubeconfig": "/nonexistent/kubeconfig"},
     ["webapp_kubeconfig=/nonexistent/kubeconfig does not exist"]),
    ("upgrade", {"upgrade_image_tag": "v2", "webapp_helm_binary": "/nonexistent/helm"},
     ["webapp_helm_binary=/nonexistent/helm", "does not exist"]),
    ("upgrade", {"upgrade_image_tag": "v2", "webapp_chart_ref": "oci://10.217.0.1:5000/charts/webapp"},
     ["webapp_chart_version must name the version of the OCI chart oci://10.217.0.1:5000/charts/webapp"]),
    ("deploy", {"webapp_chart_version": "0.2.0"}, ["webapp_chart_version=0.2.0 applies to an oci:// chart only"]),
    # a registry that cannot be reached (nothing listens on loopback port 9): refused before any change
    ("deploy", {"webapp_chart_ref": "oci://127.0.0.1:9/charts/webapp", "webapp_chart_version": "0.2.0"},
     ["webapp_chart_ref=oci://127.0.0.1:9/charts/webapp webapp_chart_version=0.2.0: helm pull failed"]),
]


UNREACHABLE = [("deploy", {}), ("upgrade", {"upgrade_image_tag": "v2"}), ("scale", {"scale_replicas": 3}),
               ("rollback", {}), ("verify", {})]


@pytest.fixture(scope="module")
def refused(deployed, tmp_path_factory):
    """Every bad run of this module, in one ansible-playbook (see playlib.run_cases), with the
    release's state before and after."""
    tmp = tmp_path_factory.mktemp("cases")
    unreachable = tmp / "unreachable.yaml"
    unreachable.write_text(
        "apiVersion: v1\nkind: Config\n"
        "clusters: [{name: gone, cluster: {server: 'https://127.0.0.1:9', insecure-skip-tls-verify: true}}]\n"
        "users: [{name: u, user: {token: nothing}}]\n"
        "contexts: [{name: gone, context: {cluster: gone, user: u}}]\ncurrent-context: gone\n"
    )
    cases = [(playbook, extra) for playbook, extra, _ in CASES]
    cases += [(playbook, {**extra, "webapp_kubeconfig": str(unreachable), "webapp_context": ""})
              for playbook, extra in UNREACHABLE]
    cases += [("verify", {"webapp_context": "no-such-context"})]
    before = snapshot(deployed)
    results = run_cases(cases, deployed.vars, tmp=tmp)
    return {"results": results, "before": before, "after": snapshot(deployed), "kubeconfig": unreachable}


@pytest.mark.parametrize("index", range(len(CASES)), ids=[
    f"{c[0]}-{'-'.join(f'{k}={v}' for k, v in c[1].items()) or 'missing'}" for c in CASES])
def test_bad_argument_is_refused_naming_it(refused, index):
    failed, out = refused["results"][index]
    assert failed, f"{CASES[index]} was not refused:\n{out[-3000:]}"
    for text in CASES[index][2]:
        assert text in out, f"{text!r} not in the error:\n{out[-3000:]}"


def test_no_refused_run_changed_the_release(refused):
    assert refused["after"] == refused["before"], "a refused run changed the cluster"


@pytest.mark.parametrize("index", range(len(UNREACHABLE)), ids=[c[0] for c in UNREACHABLE])
def test_unreachable_cluster_is_reported_naming_the_kubeconfig(refused, index):
    failed, out = refused["results"][len(CASES) + index]
    assert failed and f"webapp_kubeconfig={refused['kubeconfig']}" in out, out[-3000:]
    assert "cannot reach the Kubernetes API at https://127.0.0.1:9" in out, out[-3000:]


def test_unknown_context_is_reported_naming_it(refused):
    failed, out = refused["results"][-1]
    assert failed and "webapp_context=no-such-context" in out, out[-3000:]
