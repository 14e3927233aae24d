"""kube_errors: one line that says what went wrong, and which errors are an outage to wait out.

The API's answers are the Status objects it sends (tests/unit/fixtures/status_*.json), in an
ApiError as kube_http raises it; a refused connection is a real one, to a closed local port.
"""
from __future__ import annotations

import json
import socket

import pytest

from ansible_collections.kubeha.webapp.plugins.module_utils.kube_errors import (
    KubeError,
    config_error_text,
    describe_error,
    is_transient,
)
from ansible_collections.kubeha.webapp.plugins.module_utils.kube_http import ApiError, HttpClient, light_config


class Client:
    host = "https://10.0.0.1:6443"


def answer(api_object, status, reason, name):
    return ApiError(status, reason, json.dumps(api_object(name)))


def closed_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_an_api_that_refuses_the_connection_is_unreachable_at_its_address():
    port = closed_port()
    kubeconfig = {
        "apiVersion": "v1", "kind": "Config", "current-context": "a",
        "clusters": [{"name": "c", "cluster": {"server": "https://127.0.0.1:%d" % port}}],
        "users": [{"name": "u", "user": {"token": "t"}}],
        "contexts": [{"name": "a", "context": {"cluster": "c", "user": "u"}}],
    }
    client = HttpClient(light_config({"kubeconfig": kubeconfig}, environ={}))
    with pytest.raises(ApiError) as raised:
        client.request("GET", "/version", timeout=2)
    assert describe_error(raised.value, client, "reading release web") == (
        "cannot reach the Kubernetes API at https://127.0.0.1:%d (reading release web): Connection refused" % port)
    assert is_transient(raised.value)


def test_a_certificate_the_client_does_not_trust_is_named_without_the_ssl_wrapping():
    exc = ApiError(0, "[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: unable to get local "
                      "issuer certificate (_ssl.c:992)")
    assert describe_error(exc, Client()) == (
        "cannot reach the Kubernetes API at https://10.0.0.1:6443: certificate verify failed: unable to get "
        "local issuer certificate (_ssl.c:992)")


def test_a_connection_error_of_the_kubernetes_package_is_cut_to_what_happened():
    exc = ApiError(0, "HTTPSConnectionPool(host='10.0.0.1', port=6443): Max retries exceeded with url: /api/v1 "
                      "(Caused by NewConnectionError('<urllib3.connection.HTTPSConnection object at 0x7f>: Failed "
                      "to establish a new connection: [Errno 113] No route to host'))")
    assert describe_error(exc, Client()) == "cannot reach the Kubernetes API at https://10.0.0.1:6443: No route to host"


def test_refused_credentials_name_the_api_and_the_401(api_object):
    exc = answer(api_object, 401, "Unauthorized", "status_401_unauthorized")
    assert describe_error(exc, Client(), "watching deployment web") == (
        "the Kubernetes API at https://10.0.0.1:6443 refused the credentials (401 Unauthorized) "
        "(watching deployment web)")


def test_an_rbac_denial_gives_the_api_servers_message(api_object):
    exc = answer(api_object, 403, "Forbidden", "status_403_forbidden")
    assert describe_error(exc, Client(), "listing pods") == (
        'forbidden by RBAC (listing pods): pods is forbidden: User "system:serviceaccount:webapp:deployer" '
        'cannot list resource "pods" in API group "" in the namespace "kube-system"')


def test_another_answer_gives_status_reason_and_message(api_object):
    exc = answer(api_object, 422, "Unprocessable Entity", "status_422_invalid")
    assert describe_error(exc) == ('Kubernetes API error 422 Unprocessable Entity: Pod "kubeha-verify-" is '
                                   'invalid: spec.containers[0].image: Required value')


def test_an_answer_that_is_not_json_is_quoted_up_to_300_characters():
    exc = ApiError(502, "Bad Gateway", "<html>" + "x" * 400)
    assert describe_error(exc, Client()) == "Kubernetes API error 502 Bad Gateway: <html>" + "x" * 294
    assert is_transient(exc)


@pytest.mark.parametrize("status", [429, 500, 503, 504])
def test_an_overloaded_or_restarting_api_server_is_an_outage_to_wait_out(status):
    assert is_transient(ApiError(status, "x"))


@pytest.mark.parametrize("exc", [ApiError(401, "Unauthorized"), ApiError(403, "Forbidden"), ApiError(404, "Not Found"),
                                 ApiError(409, "Conflict"), ValueError("x")])
def test_an_answer_or_another_error_is_not_an_outage(exc):
    assert not is_transient(exc)


def test_an_error_with_a_message_for_the_user_is_told_as_it_is():
    assert describe_error(KubeError("kubeconfig file /nope does not exist"), Client(), "x") == (
        "kubeconfig file /nope does not exist")


def test_any_other_error_is_named_by_its_type():
    assert describe_error(ValueError("bad JSON"), what="release record") == "ValueError (release record): bad JSON"


def test_an_unusable_context_is_named():
    assert config_error_text("Invalid kube-config file. Expected key context in kube-config",
                             {"context": "prod"}) == (
        "context 'prod' is not usable: Invalid kube-config file. Expected key context in kube-config")
    assert config_error_text("File does not exist: /x", {"context": "prod"}) == (
        "cannot build a Kubernetes client from the kubeconfig: File does not exist: /x")
