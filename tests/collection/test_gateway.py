"""The release's HTTPRoute on the cluster's shared Gateway (Traefik's Gateway provider), as a user
meets it with the local inventory: deploy attaches the route and verify checks it like every other
access path (the Gateway's judgement in the route's status, then real requests over HTTP and
HTTPS with SNI); a listener that does not admit the namespace fails verify at once with the
Gateway's reason; switching the route off takes it off the Gateway; with the NetworkPolicy on, the
Gateway's data plane still reaches the pods and a pod outside the allowed sources does not."""
from __future__ import annotations

import functools
import json
import socket
import subprocess
import ssl
import time
import urllib.error
import urllib.request

import pytest

from playlib import delete_namespace, new_namespace

ROOT = __import__("pathlib").Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.cluster


@pytest.fixture(scope="module")
def deployed(app):
    run = app.play("deploy")
    return app, run


@functools.lru_cache(maxsize=1)
def _cluster_facts() -> dict:
    return json.loads(subprocess.run([str(ROOT / "cluster" / "kubeha-cluster"), "facts"], check=True,
                                     capture_output=True, text=True).stdout)


def facts(app):
    """The cluster's facts (Gateway address, listeners, CA), read once per module run."""
    return _cluster_facts()


def hostname(app):
    return f"{app.release}-{app.namespace}.kubeha.test"


def via_gateway(app, path="/", timeout=5.0):
    """GET through the Gateway's HTTP listener with the route's hostname: (status, body)."""
    req = urllib.request.Request(f"http://{facts(app)['gateway_ip']}{path}", headers={"Host": hostname(app)})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, ""


def via_gateway_https(app):
    """GET through the Gateway's HTTPS listener, the route's hostname as TLS server name, the
    certificate checked against the cluster's Gateway CA: the raw answer."""
    f = facts(app)
    ctx = ssl.create_default_context(cafile=f["gateway"]["ca_file"])
    with ctx.wrap_socket(socket.create_connection((f["gateway_ip"], 443), timeout=5),
                         server_hostname=hostname(app)) as sock:
        sock.sendall(f"GET / HTTP/1.1\r\nHost: {hostname(app)}\r\nConnection: close\r\n\r\n".encode())
        answer = b""
        while chunk := sock.recv(4096):
            answer += chunk
    return answer


def test_deploy_verifies_the_route_through_the_gateway_over_http_and_https(deployed):
    app, run = deployed
    route = app.kubectl_json("get", "httproute", app.name, "-n", app.namespace)
    assert route["spec"]["parentRefs"] == [{"group": "gateway.networking.k8s.io", "kind": "Gateway",
                                            "name": "public", "namespace": "kubeha-ingress"}]
    assert route["spec"]["hostnames"] == [hostname(app)]
    # The check requested both listeners (2 endpoints), and the summary names the Gateway's judgement.
    assert "gateway ok 2/2" in run.flat(), run.tail()
    assert "kubeha-ingress/public accepted" in run.flat(), run.tail()
    status, body = via_gateway(app)
    assert status == 200 and "kubeha-web version=v1" in body
    # HTTPS: the listener's certificate, made by the cluster's Gateway CA, for the route's name.
    answer = via_gateway_https(app)
    assert answer.startswith(b"HTTP/1.1 200") and b"kubeha-web version=v1" in answer, answer[:200]


def test_a_listener_that_does_not_admit_the_namespace_fails_verify_at_once_naming_the_reason(deployed):
    app, _ = deployed
    before = app.deployment()
    # The Gateway's internal listener admits routes of its own namespace only.
    run = app.play("deploy", expect_ok=False, kubeha_extra_values={"httpRoute": {
        "parentRefs": [{"name": "public", "namespace": "kubeha-ingress", "sectionName": "internal"}],
        "hostnames": [f"{app.release}-{app.namespace}.internal.kubeha.test"]}})
    text = run.flat()
    assert "NotAllowedByListeners" in text, run.tail()
    assert "Gateway kubeha-ingress/public listener internal did not accept it" in text, run.tail()
    # Fails on the Gateway's word: not one request was sent to it through the retry budget.
    assert "gateway http" not in text, run.tail()
    # Nothing else changed: the same pods, the same Deployment template, still serving.
    after = app.deployment()
    assert after["metadata"]["generation"] == before["metadata"]["generation"]
    assert app.bodies() == {"kubeha-web version=v1"}


def test_switching_the_route_off_takes_it_off_the_gateway_and_keeps_the_service(deployed):
    app, _ = deployed
    run = app.play("deploy", kubeha_extra_values={"httpRoute": {"enabled": False}})
    assert app.cluster.kubectl("get", "httproute", app.name, "-n", app.namespace,
                               check=False).returncode != 0
    deadline = time.monotonic() + 30  # Traefik drops the route within a second or two
    while via_gateway(app)[0] != 404 and time.monotonic() < deadline:
        time.sleep(0.5)
    assert via_gateway(app)[0] == 404
    assert app.kubectl_json("get", "service", app.name, "-n", app.namespace)["metadata"]["name"] == app.name
    assert app.bodies() == {"kubeha-web version=v1"}
    assert "gateway ok" not in run.flat(), "no route, no gateway check"
    app.play("deploy")  # the route back, for the next test
    assert via_gateway(app)[0] == 200


@pytest.fixture
def outsider(app):
    """A client pod in a namespace of its own: not among the policy's allowed sources."""
    ns = new_namespace("kubeha-coll-outside")
    app.cluster.kubectl("create", "namespace", ns)
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "outsider"},
           "spec": {"terminationGracePeriodSeconds": 0,
                    "securityContext": {"runAsNonRoot": True, "seccompProfile": {"type": "RuntimeDefault"}},
                    "containers": [{"name": "client", "image": "kubeha/client:v1", "imagePullPolicy": "Never",
                                    "command": ["sleep", "600"],
                                    "securityContext": {"allowPrivilegeEscalation": False,
                                                        "readOnlyRootFilesystem": True,
                                                        "capabilities": {"drop": ["ALL"]}}}]}}
    app.cluster.kubectl("-n", ns, "apply", "-f", "-", input=json.dumps(pod))
    app.cluster.kubectl("-n", ns, "wait", "pod/outsider", "--for=condition=Ready", "--timeout=120s")
    yield ns
    delete_namespace(app.cluster, ns)


def test_with_the_network_policy_the_gateway_reaches_the_pods_and_an_outsider_does_not(deployed, outsider):
    app, _ = deployed
    policy = {"networkPolicy": {"enabled": True,
                                "allowGateway": {"namespace": "kubeha-ingress", "podLabels": {"app": "traefik"}}}}
    # The checks through the Gateway only: the ClusterIP check's client pod is new, and the local
    # cluster's NetworkPolicy engine (no NRI) admits a new pod only once it has read its address,
    # which took longer than the check's retries twice under the side-by-side suite.
    run = app.play("deploy", kubeha_extra_values=policy, verify_checks=["replicas", "gateway"])
    assert "gateway ok 2/2" in run.flat(), run.tail()
    url = f"http://{app.name}.{app.namespace}.svc:80/"
    for _ in range(3):  # bounded: each attempt waits at most 3 s for an answer that must not come
        p = app.cluster.kubectl("-n", outsider, "exec", "outsider", "--", "curl", "-s", "-m", "3", url,
                                check=False, timeout=30)
        assert p.returncode != 0 and "kubeha-web" not in p.stdout, p.stdout
    assert via_gateway(app)[0] == 200
