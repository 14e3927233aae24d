"""The shared Gateway: Traefik's Gateway API provider accepts GatewayClass kubeha and programs
Gateway public on the Gateway's own address; HTTPRoutes of labelled namespaces answer there over
HTTP and HTTPS (a certificate of the cluster's Gateway CA), others are refused; and the Ingress
path beside it is unchanged (each address serves only its own routes)."""
from __future__ import annotations

import json
import socket
import ssl
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import pytest
from conftest import cluster_facts, eventually, web_manifest  # tests/cluster/conftest.py

pytestmark = pytest.mark.cluster


def http_route(name: str, hostname: str, gateway: dict) -> str:
    return json.dumps({
        "apiVersion": "gateway.networking.k8s.io/v1", "kind": "HTTPRoute", "metadata": {"name": name},
        "spec": {"parentRefs": [{"name": gateway["name"], "namespace": gateway["namespace"]}],
                 "hostnames": [hostname],
                 "rules": [{"backendRefs": [{"name": "web", "port": 80}]}]}})


def http_get(ip: str, host: str, timeout: float = 3) -> tuple[int, str]:
    req = urllib.request.Request(f"http://{ip}/", headers={"Host": host})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, ""


def https_get(ip: str, hostname: str, ca_file: str, timeout: float = 3) -> tuple[int, str, dict]:
    """GET / from ip:443 with SNI hostname, the server's certificate verified against ca_file
    for that name."""
    ctx = ssl.create_default_context(cafile=ca_file)
    with socket.create_connection((ip, 443), timeout=timeout) as raw, \
            ctx.wrap_socket(raw, server_hostname=hostname) as tls:
        tls.sendall(f"GET / HTTP/1.1\r\nHost: {hostname}\r\nConnection: close\r\n\r\n".encode())
        data = b""
        while chunk := tls.recv(65536):
            data += chunk
        cert = tls.getpeercert()
    head, _, body = data.partition(b"\r\n\r\n")
    return int(head.split()[1]), body.decode(errors="replace"), cert


def condition(obj: dict, kind: str, conditions_of=lambda o: o.get("status", {}).get("conditions", [])):
    return next((c for c in conditions_of(obj) if c["type"] == kind), None)


@pytest.fixture(scope="module")
def facts(cluster):
    return cluster_facts()


@pytest.fixture(scope="module")
def shared(cluster, facts):
    """A namespace labelled for the shared Gateway with one web pod, an HTTPRoute to it and an
    Ingress to it; yields (namespace, route host name, ingress host name)."""
    suffix = uuid.uuid4().hex[:6]
    ns, host, ingress_host = f"kubeha-gw-{suffix}", f"web-{suffix}.kubeha.test", f"ing-{suffix}.kubeha.test"
    cluster.kubectl("create", "namespace", ns)
    try:
        cluster.kubectl("label", "namespace", ns, facts["gateway"]["route_label"])
        cluster.kubectl("-n", ns, "apply", "-f", "-", input=web_manifest(replicas=1, service_type="ClusterIP"))
        cluster.kubectl("-n", ns, "apply", "-f", "-", input=http_route("web", host, facts["gateway"]))
        cluster.kubectl("-n", ns, "apply", "-f", "-", input=json.dumps({
            "apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "metadata": {"name": "web"},
            "spec": {"rules": [{"host": ingress_host, "http": {"paths": [{
                "path": "/", "pathType": "Prefix",
                "backend": {"service": {"name": "web", "port": {"number": 80}}}}]}}]}}))
        cluster.kubectl("-n", ns, "rollout", "status", "deploy/web", "--timeout=120s")
        yield ns, host, ingress_host
    finally:
        cluster.kubectl("delete", "namespace", ns, "--wait=false")


def test_the_gatewayclass_is_accepted_and_the_gateway_programmed_on_its_address(cluster, facts):
    gw = facts["gateway"]

    def accepted():
        gc = json.loads(cluster.kubectl("get", "gatewayclass", "kubeha", "-o", "json").stdout)
        return (condition(gc, "Accepted") or {}).get("status") == "True"
    eventually(accepted, 60)

    def programmed():
        g = json.loads(cluster.kubectl("-n", gw["namespace"], "get", "gateway", gw["name"], "-o", "json").stdout)
        ok = (condition(g, "Programmed") or {}).get("status") == "True" and g["status"].get("addresses")
        return ok and g
    g = eventually(programmed, 60)
    assert g["status"]["addresses"] == [{"type": "IPAddress", "value": facts["gateway_ip"]}]
    listeners = {ls["name"]: ls for ls in g["status"]["listeners"]}
    assert set(listeners) == {gw["http_listener"], gw["https_listener"], gw["internal_listener"]}
    for ls in listeners.values():  # the https listener's certificate Secret resolved too
        for kind in ("Accepted", "ResolvedRefs", "Programmed"):
            assert condition(ls, kind, lambda o: o["conditions"])["status"] == "True", ls
    ports = {ls["name"]: ls["port"] for ls in g["spec"]["listeners"]}
    assert ports == {gw["http_listener"]: gw["http_port"], gw["https_listener"]: gw["https_port"],
                     gw["internal_listener"]: gw["http_port"]}


def test_a_route_of_a_labelled_namespace_answers_over_http_on_the_gateway_address(cluster, facts, shared):
    ns, host, _ = shared
    status, body = eventually(lambda: (r := http_get(facts["gateway_ip"], host))[0] == 200 and r, 60)
    assert "kubeha-web version=v1" in body
    route = json.loads(cluster.kubectl("-n", ns, "get", "httproute", "web", "-o", "json").stdout)
    parent = route["status"]["parents"][0]
    assert parent["controllerName"] == "traefik.io/gateway-controller"
    assert condition(parent, "Accepted", lambda o: o["conditions"])["status"] == "True", parent


def test_the_route_answers_over_https_with_a_certificate_of_the_gateway_ca(facts, shared):
    _, host, _ = shared
    # SNI names the route's host; the certificate is verified for it against facts' ca_file.
    status, body, cert = eventually(
        lambda: (r := https_get(facts["gateway_ip"], host, facts["gateway"]["ca_file"]))[0] == 200 and r, 60)
    assert "kubeha-web version=v1" in body
    assert ("DNS", "*.kubeha.test") in cert["subjectAltName"]
    # The cluster's own CA (which signs the API server's and the clients' certificates) does not.
    cluster_ca = Path(facts["kubeconfig"]).parent / "pki" / "ca.crt"
    with pytest.raises(ssl.SSLCertVerificationError):
        https_get(facts["gateway_ip"], host, str(cluster_ca))


def test_a_route_of_an_unlabelled_namespace_is_not_allowed(cluster, facts, namespace, shared):
    host = f"nobody-{namespace}.kubeha.test"
    cluster.kubectl("-n", namespace, "apply", "-f", "-", input=http_route("web", host, facts["gateway"]))

    def refused():
        route = json.loads(cluster.kubectl("-n", namespace, "get", "httproute", "web", "-o", "json").stdout)
        parents = route.get("status", {}).get("parents") or []
        return parents and condition(parents[0], "Accepted", lambda o: o["conditions"])
    accepted = eventually(refused, 60)
    assert (accepted["status"], accepted["reason"]) == ("False", "NotAllowedByListeners"), accepted
    assert http_get(facts["gateway_ip"], host)[0] == 404


def test_the_ingress_path_works_as_before_and_each_address_serves_only_its_own_routes(facts, shared):
    _, host, ingress_host = shared
    status, body = eventually(lambda: (r := http_get(facts["ingress_ip"], ingress_host))[0] == 200 and r, 60)
    assert "kubeha-web version=v1" in body
    eventually(lambda: http_get(facts["gateway_ip"], host)[0] == 200, 60)
    assert http_get(facts["gateway_ip"], ingress_host)[0] == 404  # no Ingress route on the Gateway
    assert http_get(facts["ingress_ip"], host)[0] == 404  # no Gateway route on the Ingress address
