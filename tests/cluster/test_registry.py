"""The cluster's registries: nodes pull for real over TLS from the registries they trust, the
private one only with a pull Secret, a stopped registry is a refused connection until it is
started again, and the chart is an OCI artifact helm installs from."""
from __future__ import annotations

import base64
import json
import subprocess
import tarfile
import uuid
from pathlib import Path

import pytest
import yaml
from conftest import CLI, CLUSTER_INDEX, cluster_facts, eventually  # tests/cluster/conftest.py
from registry_client import digest, tag  # tests/registry_client.py

pytestmark = pytest.mark.cluster

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def registry(cluster) -> dict:
    return cluster_facts()["registry"]


@pytest.fixture(scope="module")
def restricted(cluster, namespace) -> str:
    """The module's namespace, enforcing Pod Security `restricted` (the pods below pass it)."""
    cluster.kubectl("label", "namespace", namespace, "pod-security.kubernetes.io/enforce=restricted")
    return namespace


def web_pod(name: str, image: str, policy: str = "Always", pull_secret: str | None = None) -> dict:
    spec = {
        "securityContext": {"runAsNonRoot": True, "seccompProfile": {"type": "RuntimeDefault"}},
        "terminationGracePeriodSeconds": 1,
        "containers": [{
            "name": "web", "image": image, "imagePullPolicy": policy,
            "ports": [{"name": "http", "containerPort": 8080}],
            "readinessProbe": {"httpGet": {"path": "/readyz", "port": "http"}, "periodSeconds": 1},
            "securityContext": {"allowPrivilegeEscalation": False, "readOnlyRootFilesystem": True,
                                "capabilities": {"drop": ["ALL"]}},
        }],
    }
    if pull_secret:
        spec["imagePullSecrets"] = [{"name": pull_secret}]
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name}, "spec": spec}


def pull_secret(name: str, host: str, user: str, password: str) -> dict:
    auth = base64.b64encode(f"{user}:{password}".encode()).decode()
    config = {"auths": {host: {"username": user, "password": password, "auth": auth}}}
    return {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": name},
            "type": "kubernetes.io/dockerconfigjson",
            "data": {".dockerconfigjson": base64.b64encode(json.dumps(config).encode()).decode()}}


def apply(cluster, namespace: str, *objects: dict) -> None:
    cluster.kubectl("-n", namespace, "apply", "-f", "-",
                    input=json.dumps({"apiVersion": "v1", "kind": "List", "items": list(objects)}))


def pod(cluster, namespace: str, name: str) -> dict:
    return json.loads(cluster.kubectl("-n", namespace, "get", "pod", name, "-o", "json").stdout)


def waiting(cluster, namespace: str, name: str) -> dict:
    """The container's waiting state ({} while it is not waiting)."""
    statuses = pod(cluster, namespace, name)["status"].get("containerStatuses") or [{}]
    return statuses[0].get("state", {}).get("waiting", {})


def pull_failure(cluster, namespace: str, name: str) -> str | None:
    """The message of a failed pull (ErrImagePull, then ImagePullBackOff), else None."""
    w = waiting(cluster, namespace, name)
    return w.get("message") if w.get("reason") in ("ErrImagePull", "ImagePullBackOff") else None


@pytest.fixture(scope="module")
def pulls(cluster, restricted, registry) -> dict[str, str]:
    """Four pods created at once, each pulling kubeha/web:v1 (imagePullPolicy Always): from the
    public registry, and from the private one without a pull Secret, with a Secret holding a wrong
    password, and with the cluster's registry user."""
    public, private = f"{registry['public']}/kubeha/web:v1", f"{registry['private']}/kubeha/web:v1"
    apply(cluster, restricted,
          pull_secret("private-registry", registry["private"], registry["username"], registry["password"]),
          pull_secret("wrong-password", registry["private"], registry["username"], "not-the-password"),
          web_pod("public", public), web_pod("private-no-secret", private),
          web_pod("private-wrong-password", private, pull_secret="wrong-password"),
          web_pod("private-with-secret", private, pull_secret="private-registry"))
    return {"public": public, "private": private}


def test_a_public_image_is_pulled_over_tls_and_runs(cluster, restricted, registry, pulls):
    cluster.kubectl("-n", restricted, "wait", "pod/public", "--for=condition=Ready", "--timeout=90s")
    status = pod(cluster, restricted, "public")["status"]["containerStatuses"][0]
    # What runs is the registry's manifest, pulled from it (the image store knows no such name).
    assert status["imageID"] == f"{registry['public']}/kubeha/web@{digest(registry, registry['public'], 'kubeha/web:v1')}"


def test_a_private_image_without_a_pull_secret_is_refused_for_want_of_authorization(cluster, restricted, pulls):
    # The registry answers 401 with a Basic challenge; containerd, holding no credentials to
    # answer it with, says so itself.
    message = eventually(lambda: pull_failure(cluster, restricted, "private-no-secret"), timeout=60)
    assert "pull access denied" in message and "no basic auth credentials" in message, message
    assert pulls["private"] in message


def test_a_private_image_with_a_wrong_password_is_refused_with_the_registrys_401(cluster, restricted, registry, pulls):
    message = eventually(lambda: pull_failure(cluster, restricted, "private-wrong-password"), timeout=60)
    assert f"https://{registry['private']}/v2/kubeha/web/manifests/v1: 401 Unauthorized" in message, message


def test_a_private_image_with_a_dockerconfigjson_secret_runs(cluster, restricted, pulls):
    cluster.kubectl("-n", restricted, "wait", "pod/private-with-secret", "--for=condition=Ready", "--timeout=90s")


def test_the_image_stores_image_runs_without_credentials_after_a_registry_served_it_with_a_secret(
        cluster, restricted, pulls):
    # The private registry's kubeha/web:v1 is the image store's kubeha/web:v1 (same image ID).
    # Once the kubelet has pulled it with a secret, it must not ask a pod of the preloaded name
    # for credentials: with imagePullPolicy Never that pod could never start.
    cluster.kubectl("-n", restricted, "wait", "pod/private-with-secret", "--for=condition=Ready", "--timeout=90s")
    apply(cluster, restricted, web_pod("preloaded", "kubeha/web:v1", policy="Never"))
    cluster.kubectl("-n", restricted, "wait", "pod/preloaded", "--for=condition=Ready", "--timeout=90s")


@pytest.mark.disruptive  # other tests may pull from the public registry meanwhile
def test_a_stopped_registry_refuses_the_pull_and_the_pod_runs_once_it_is_started(cluster, restricted, registry):
    fresh = f"t-{uuid.uuid4().hex[:8]}"  # a tag no node has pulled yet
    tag(registry, "kubeha/web", "v2", fresh)
    image = f"{registry['public']}/kubeha/web:{fresh}"
    stop = subprocess.run([CLI, "registry-stop", "public"], capture_output=True, text=True, timeout=60)
    try:
        assert stop.returncode == 0, stop.stderr
        status = subprocess.run([CLI, "status"], capture_output=True, text=True, timeout=60).stdout
        assert "registry-public" in status and "stopped (registry-stop)" in status, status
        apply(cluster, restricted, web_pod("while-stopped", image, policy="IfNotPresent"))
        message = eventually(lambda: pull_failure(cluster, restricted, "while-stopped"), timeout=60)
        assert "connection refused" in message and registry["public"] in message, message
    finally:
        start = subprocess.run([CLI, "registry-start", "public"], capture_output=True, text=True, timeout=60)
    assert start.returncode == 0, start.stderr
    # The kubelet tries again after its back-off (10 s after the first failure) and pulls.
    cluster.kubectl("-n", restricted, "wait", "pod/while-stopped", "--for=condition=Ready", "--timeout=60s")


@pytest.mark.parametrize("helm", ["helm", "helm3"])
def test_the_chart_is_pulled_from_the_public_registry_as_an_oci_artifact(cluster, registry, helm, tmp_path):
    env = {**cluster.env(), **{k: str(tmp_path / k.lower()) for k in
                               ("HELM_CACHE_HOME", "HELM_CONFIG_HOME", "HELM_DATA_HOME")}}
    version = registry["chart_version"]
    p = subprocess.run([helm, "pull", registry["chart"], "--version", version, "--ca-file", registry["ca_file"],
                        "-d", str(tmp_path)], capture_output=True, text=True, env=env, timeout=60)
    assert p.returncode == 0, p.stderr
    with tarfile.open(tmp_path / f"webapp-{version}.tgz") as tgz:
        chart = yaml.safe_load(tgz.extractfile("webapp/Chart.yaml"))
    assert (chart["name"], chart["version"]) == ("webapp", version)
    assert registry["chart"] == f"oci://{registry['public']}/charts/webapp"
    assert version == yaml.safe_load((ROOT / "charts" / "webapp" / "Chart.yaml").read_text())["version"]


def test_the_registries_are_on_the_bridge_with_a_ca_and_credentials_of_the_cluster(registry):
    assert set(registry) == {"public", "private", "ca_file", "username", "password", "chart", "chart_version"}
    bridge = f"10.{217 + 10 * CLUSTER_INDEX}.0.1"  # the host's address on the cluster bridge
    assert (registry["public"], registry["private"]) == (f"{bridge}:5000", f"{bridge}:5001")
    assert Path(registry["ca_file"]).is_file()
    state = Path(registry["ca_file"]).parents[2]  # /var/lib/kubeha/<cluster>
    for f in (state / "registry" / "password", state / "registry" / "htpasswd", state / "facts.json"):
        assert f.stat().st_mode & 0o077 == 0, f"{f} is readable by others"


def test_registry_stop_refuses_an_unknown_registry_naming_the_argument(cluster):
    for command in ("registry-stop", "registry-start"):
        p = subprocess.run([CLI, command, "bogus"], capture_output=True, text=True, timeout=60)
        assert p.returncode == 2
        assert "argument registry: invalid choice: 'bogus'" in p.stderr and "public" in p.stderr, p.stderr
