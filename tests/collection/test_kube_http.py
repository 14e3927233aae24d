"""The modules' own API client (plugins/module_utils/kube_http.py): when it serves a connection
itself, when it leaves it to the kubernetes package, and that what it serves works against the
real API server with each kind of kubeconfig user it claims (certificate files, inline
certificates, bearer token, exec plugin)."""
from __future__ import annotations

import base64
import json
import sys

import pytest
import yaml

from playlib import ROOT

sys.path.insert(0, str(ROOT / "playbooks" / "collections"))

from ansible_collections.kubeha.webapp.plugins.module_utils import kube_http  # noqa: E402

KUBECONFIG = {
    "apiVersion": "v1", "kind": "Config", "current-context": "a",
    "clusters": [{"name": "c", "cluster": {"server": "https://127.0.0.1:1", "insecure-skip-tls-verify": True}}],
    "users": [{"name": "u", "user": {"token": "t"}}],
    "contexts": [{"name": "a", "context": {"cluster": "c", "user": "u"}},
                 {"name": "orphan", "context": {"cluster": "missing", "user": "u"}}],
}


def edited(**user):
    data = json.loads(json.dumps(KUBECONFIG))
    data["users"][0]["user"] = user
    return data


def test_a_kubeconfig_with_a_token_is_served_by_the_light_client():
    cfg = kube_http.light_config({"kubeconfig": KUBECONFIG}, environ={})
    assert cfg is not None and cfg["user"] == {"token": "t"}


@pytest.mark.parametrize("params, environ", [
    ({"kubeconfig": KUBECONFIG, "host": "https://x"}, {}),
    ({"kubeconfig": KUBECONFIG, "api_key": "k"}, {}),
    ({"kubeconfig": KUBECONFIG, "impersonate_user": "bob"}, {}),
    ({"kubeconfig": KUBECONFIG}, {"K8S_AUTH_HOST": "https://x"}),
    ({"kubeconfig": KUBECONFIG}, {"K8S_AUTH_PROXY": "http://proxy:3128"}),
    ({"kubeconfig": "/a:/b"}, {}),
    ({"kubeconfig": edited(**{"auth-provider": {"name": "oidc"}})}, {}),
    ({"kubeconfig": edited(token="t", **{"as": "bob"})}, {}),
])
def test_anything_beyond_a_plain_kubeconfig_goes_to_the_kubernetes_package(params, environ):
    assert kube_http.light_config(params, environ=environ) is None


@pytest.mark.parametrize("params, text", [
    ({"kubeconfig": "/nonexistent/kubeconfig"}, "kubeconfig file /nonexistent/kubeconfig does not exist"),
    ({"kubeconfig": KUBECONFIG, "context": "nope"}, "context 'nope' is not usable"),
    ({"kubeconfig": KUBECONFIG, "context": "orphan"}, "names cluster 'missing'"),
])
def test_an_unusable_kubeconfig_is_named_in_the_error(params, text):
    with pytest.raises(kube_http.ConfigError, match=text.replace("(", r"\(")):
        kube_http.light_config(params, environ={})


def test_no_answer_is_an_api_error_with_status_zero():
    client = kube_http.HttpClient(kube_http.light_config({"kubeconfig": KUBECONFIG}, environ={}))
    with pytest.raises(kube_http.ApiError) as err:
        client.request("GET", "/version", timeout=3)
    assert err.value.status == 0 and "refused" in err.value.reason.lower()


# --- against the real API server -------------------------------------------------------------

def admin_kubeconfig(cluster) -> dict:
    return yaml.safe_load(cluster.kubeconfig.read_text())


def inline(data: dict) -> dict:
    """The same kubeconfig with its CA and client certificate embedded instead of referenced."""
    data = json.loads(json.dumps(data))
    c, u = data["clusters"][0]["cluster"], data["users"][0]["user"]
    for holder, key in ((c, "certificate-authority"), (u, "client-certificate"), (u, "client-key")):
        if key in holder:
            with open(holder.pop(key), "rb") as f:
                holder[key + "-data"] = base64.b64encode(f.read()).decode()
    return data


def version(kubeconfig) -> str:
    client = kube_http.HttpClient(kube_http.light_config({"kubeconfig": kubeconfig}, environ={}))
    return json.loads(client.request("GET", "/version"))["gitVersion"]


@pytest.mark.cluster
def test_client_certificate_files_and_inline_data_both_authenticate(cluster):
    assert version(str(cluster.kubeconfig)).startswith("v1.")
    assert version(inline(admin_kubeconfig(cluster))).startswith("v1.")


@pytest.mark.cluster
def test_an_exec_plugin_supplies_the_client_certificate(cluster, tmp_path):
    data = inline(admin_kubeconfig(cluster))
    user = data["users"][0]["user"]
    cred = {"apiVersion": "client.authentication.k8s.io/v1", "kind": "ExecCredential",
            "status": {"clientCertificateData": base64.b64decode(user.pop("client-certificate-data")).decode(),
                       "clientKeyData": base64.b64decode(user.pop("client-key-data")).decode()}}
    (tmp_path / "cred.json").write_text(json.dumps(cred))
    plugin = tmp_path / "plugin.sh"
    plugin.write_text(f'#!/bin/sh\n[ -n "$KUBERNETES_EXEC_INFO" ] || exit 3\ncat {tmp_path / "cred.json"}\n')
    plugin.chmod(0o755)
    user["exec"] = {"apiVersion": "client.authentication.k8s.io/v1", "command": str(plugin)}
    assert version(data).startswith("v1.")


@pytest.mark.cluster
def test_a_refused_token_is_a_401_and_a_missing_object_a_404(cluster):
    data = admin_kubeconfig(cluster)
    data["users"][0]["user"] = {"token": "not-a-valid-token"}
    client = kube_http.HttpClient(kube_http.light_config({"kubeconfig": data}, environ={}))
    with pytest.raises(kube_http.ApiError) as err:
        client.request("GET", "/api/v1/namespaces")
    assert err.value.status == 401
    admin = kube_http.HttpClient(kube_http.light_config({"kubeconfig": str(cluster.kubeconfig)}, environ={}))
    with pytest.raises(kube_http.ApiError) as err:
        admin.request("GET", "/api/v1/namespaces/kube-system/pods/no-such-pod")
    assert err.value.status == 404 and "not found" in err.value.body
