"""The least-privilege deploy identity written by bootstrap.yml.

bootstrap.yml (admin) creates the namespace, the ServiceAccount, its namespaced Role and a
kubeconfig; then the playbooks run as that identity (kubeha_identity=deployer). The identity can
do the whole job in its namespace (deploy with every check and self-heal, an upgrade watched and
rolled back, a rollback asked for) and nothing elsewhere: not in another namespace, not on any
cluster-scoped object. Its token never appears in the output.
"""
from __future__ import annotations

import base64
import json
import os
import re
import stat

import pytest

from playlib import cluster_inventory, delete_namespace, new_namespace, run_playbook

pytestmark = pytest.mark.cluster


@pytest.fixture(scope="module")
def other_namespace(cluster):
    ns = new_namespace("kubeha-coll-other")
    cluster.kubectl("create", "namespace", ns)
    yield ns
    delete_namespace(cluster, ns)


@pytest.fixture(scope="module")
def bootstrapped(app):
    run = app.play("bootstrap")
    return app, run


def deployer_kubeconfig(app):
    return app.vars["webapp_deployer_kubeconfig"]


def as_deployer(app, *args, check=False):
    return app.cluster.kubectl("--kubeconfig", deployer_kubeconfig(app), *args, check=check)


def test_bootstrap_writes_a_private_kubeconfig_and_hides_the_token(bootstrapped):
    app, run = bootstrapped
    path = deployer_kubeconfig(app)
    mode = stat.S_IMODE(os.stat(path).st_mode)
    assert mode == 0o600, oct(mode)
    secret = app.kubectl_json("get", "secret", "webapp-deployer-token", "-n", app.namespace)
    token = base64.b64decode(secret["data"]["token"]).decode()
    assert token and token not in run.output, "the token appeared in the output"
    assert "certificate-authority-data" not in run.output
    ns = app.kubectl_json("get", "namespace", app.namespace)
    assert ns["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "restricted"
    again = app.play("bootstrap")
    assert again.changed == 0, again.tail()


def test_the_identity_deploys_and_verifies_with_self_heal(bootstrapped):
    app, _ = bootstrapped
    # deploy verifies every access path, and here deletes a pod too (self-heal): the identity
    # may read nodes' addresses through its pods, create a client pod and delete an app pod.
    run = app.play("deploy", verify_self_heal=True, kubeha_identity="deployer")
    assert app.pod_images() == {app.cluster.image("v1")}
    flat = run.flat()
    assert "selfheal ok" in flat
    assert "nodeport ok" in flat and "clusterip ok" in flat
    # The HTTPRoute too, through the shared Gateway it may not read (its address from the inventory).
    assert "gateway ok 2/2" in flat


def test_unknown_image_as_the_identity_is_caught_by_the_rollout_watch(bootstrapped):
    """With the image check off, the nodes' pull of a tag the registry does not have fails and the
    watch says so at once. The identity upgrades (helm upgrade), watches and rolls back (helm
    rollback) by itself."""
    app, _ = bootstrapped
    good = app.revision()
    run = app.play("upgrade", expect_ok=False, upgrade_image_tag="v9", webapp_image_check=False,
                   kubeha_identity="deployer")
    flat = run.flat()
    assert re.search(r"ErrImagePull|ImagePullBackOff", flat) and f"rolled back to revision {good}" in flat, run.tail()
    assert "kubeha/web:v9" in flat and "not found" in flat, "the registry's own words"
    assert "not complete after" not in flat and "progress deadline" not in flat
    app.wait_settled()
    assert app.pod_images() == {app.cluster.image("v1")}


def test_rollback_to_previous_after_an_automatic_rollback_is_refused_and_changes_nothing(bootstrapped):
    # History: 1 v1, 2 v9 (failed), 3 rollback to 1. "Previous" never means the failed revision
    # (helm's previous) nor one that runs what runs now (revision 1): nothing is left to go to.
    app, _ = bootstrapped
    assert [h["status"] for h in app.history()] == ["superseded", "failed", "deployed"]
    run = app.play("rollback", expect_ok=False, kubeha_identity="deployer")
    flat = run.flat()
    assert "REVISION" in flat and "kubeha/web:v9" in flat, "the history is shown first"
    assert "rollback_revision=0" in flat and "no earlier revision that ran fine" in flat, run.tail()
    assert app.revision() == 3


def test_the_identity_cannot_touch_another_namespace(bootstrapped, other_namespace):
    app, _ = bootstrapped
    for verb_args in (("get", "pods", "-n", other_namespace),
                      ("create", "configmap", "x", "-n", other_namespace),
                      ("get", "secrets", "-n", "kube-system")):
        proc = as_deployer(app, *verb_args)
        assert proc.returncode != 0 and "forbidden" in proc.stderr.lower(), (verb_args, proc.stderr)
    run = app.play("deploy", expect_ok=False, kubeha_identity="deployer",
                   webapp_namespace=other_namespace,
                   webapp_deployer_kubeconfig=deployer_kubeconfig(app))
    assert "forbidden" in run.flat().lower(), run.tail()
    objs = app.kubectl_json("get", "all,secrets,configmaps", "-n", other_namespace)
    made = [o["metadata"]["name"] for o in objs["items"]
            if not o["metadata"]["name"].startswith(("default-token", "kube-root-ca"))]
    assert made == [], f"objects appeared in {other_namespace}: {made}"


def test_the_identity_cannot_touch_cluster_scoped_objects(bootstrapped):
    app, _ = bootstrapped
    for verb_args in (("get", "nodes"),
                      ("create", "namespace", "kubeha-coll-should-not-exist"),
                      ("label", "namespace", app.namespace, "owned=yes"),
                      ("get", "clusterroles"),
                      ("create", "clusterrolebinding", "x", "--clusterrole=cluster-admin",
                       f"--serviceaccount={app.namespace}:webapp-deployer")):
        proc = as_deployer(app, *verb_args)
        assert proc.returncode != 0 and "forbidden" in proc.stderr.lower(), (verb_args, proc.stderr)
    assert app.cluster.kubectl("get", "namespace", "kubeha-coll-should-not-exist",
                               check=False).returncode != 0


def test_the_identity_owns_its_httproute_and_nothing_of_the_gateways(bootstrapped):
    """Routes are the app's (deployed and verified above through the shared Gateway); Gateways
    and GatewayClasses are the platform team's: not readable, not writable, not even in its own
    namespace."""
    app, _ = bootstrapped
    ns = app.namespace
    assert as_deployer(app, "auth", "can-i", "patch", "httproutes.gateway.networking.k8s.io",
                       "-n", ns).stdout.strip() == "yes"
    for verb_args in (("get", "gateways.gateway.networking.k8s.io", "-n", "kubeha-ingress"),
                      ("get", "gatewayclasses.gateway.networking.k8s.io"),
                      ("get", "gateways.gateway.networking.k8s.io", "-n", ns),
                      ("create", "-n", ns, "-f", "-")):
        stdin = None
        if verb_args[0] == "create":
            stdin = ('{"apiVersion": "gateway.networking.k8s.io/v1", "kind": "Gateway", "metadata": '
                     '{"name": "own"}, "spec": {"gatewayClassName": "kubeha", "listeners": '
                     '[{"name": "http", "port": 80, "protocol": "HTTP"}]}}')
        proc = app.cluster.kubectl("--kubeconfig", deployer_kubeconfig(app), *verb_args, check=False, input=stdin)
        assert proc.returncode != 0 and "forbidden" in proc.stderr.lower(), (verb_args, proc.stderr)


@pytest.fixture(scope="module")
def with_pull_secret(cluster, tmp_path_factory):
    """bootstrap.yml given registry credentials, in a namespace of its own on the tests' cluster."""
    ns = new_namespace("kubeha-coll-pull")
    tmp = tmp_path_factory.mktemp("pull")
    password = "pw-" + ns  # a value to look for in the output
    extra = {"webapp_namespace": ns, "kubeha_clusters": "kubeha-local",
             "webapp_deployer_kubeconfig": str(tmp / "deployer.yaml"),
             "bootstrap_registry_credentials": [{"name": "regcred", "registry": "registry.example.com:5001",
                                                 "username": "puller", "password": password}]}
    run = run_playbook("bootstrap", extra, inventory=cluster_inventory(tmp / "inventory"))
    assert run.rc == 0, run.tail()
    yield ns, run, password
    delete_namespace(cluster, ns)


def test_bootstrap_makes_the_pull_secret_and_lets_the_identity_read_it_by_name(cluster, with_pull_secret):
    ns, run, password = with_pull_secret
    secret = json.loads(cluster.kubectl("get", "secret", "regcred", "-n", ns, "-o", "json").stdout)
    assert secret["type"] == "kubernetes.io/dockerconfigjson"
    auths = json.loads(base64.b64decode(secret["data"][".dockerconfigjson"]))["auths"]
    entry = auths["registry.example.com:5001"]
    assert (entry["username"], entry["password"]) == ("puller", password)
    assert base64.b64decode(entry["auth"]).decode() == "puller:" + password
    assert password not in run.output, "the registry password appeared in the output"
    role = json.loads(cluster.kubectl("get", "role", "webapp-deployer", "-n", ns, "-o", "json").stdout)
    named = [r for r in role["rules"] if r.get("resourceNames")]
    assert named == [{"apiGroups": [""], "resources": ["secrets"], "resourceNames": ["regcred"], "verbs": ["get"]}]
    can = cluster.kubectl("auth", "can-i", "get", "secret/regcred", "-n", ns,
                          f"--as=system:serviceaccount:{ns}:webapp-deployer", check=False)
    assert can.stdout.strip() == "yes", can.stderr


def test_without_pull_secrets_the_role_names_no_secret(bootstrapped):
    app, _ = bootstrapped
    role = app.kubectl_json("get", "role", "webapp-deployer", "-n", app.namespace)
    assert not [r for r in role["rules"] if r.get("resourceNames")]
