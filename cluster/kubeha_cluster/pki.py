"""Certificates and kubeconfigs for the local cluster, generated with `cryptography`.

One CA signs every certificate of the cluster; the service-account signing key is a separate RSA
key pair. The shared Gateway's TLS certificate has a small CA of its own (ensure_gateway), and so
do the cluster's registries (ensure_registry).
Files are written once and reused: `up` never rotates what already exists (delete the pki
directory, or run `down --purge`, to start over). Each certificate carries its Subject Key
Identifier and (issued ones) the CA's as Authority Key Identifier: Python 3.13 verifies with
VERIFY_X509_STRICT (ssl.create_default_context, urllib3 and so the kubernetes client), which
refuses a chain without them. Certificates written before that are signed again, with the same
keys, once, by the next `up`: every existing certificate stays valid.
"""
from __future__ import annotations

import datetime as dt
import ipaddress
import os
from pathlib import Path

import yaml
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from .topology import GATEWAY, Cluster

VALID = dt.timedelta(days=365)


def _write(path: Path, data: bytes, private: bool = False) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600 if private else 0o644)
    with os.fdopen(fd, "wb") as f:
        f.write(data)
    os.replace(tmp, path)


def _key_pem(key) -> bytes:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def _load_ca(pki: Path):
    cert = x509.load_pem_x509_certificate((pki / "ca.crt").read_bytes())
    key = serialization.load_pem_private_key((pki / "ca.key").read_bytes(), None)
    return cert, key


def _has_extension(cert_path: Path, ext_type) -> bool:
    cert = x509.load_pem_x509_certificate(cert_path.read_bytes())
    try:
        cert.extensions.get_extension_for_class(ext_type)
    except x509.ExtensionNotFound:
        return False
    return True


def _existing_key(path: Path):
    """The private key already written at path (kept when its certificate is signed again)."""
    return serialization.load_pem_private_key(path.read_bytes(), None) if path.exists() else None


def _ensure_ca(pki: Path, cluster: str) -> None:
    crt, keyf = pki / "ca.crt", pki / "ca.key"
    if crt.exists() and keyf.exists() and _has_extension(crt, x509.SubjectKeyIdentifier):
        return
    # A CA written without its key identifier is signed again with its own key: the
    # certificates it issued stay valid.
    key = _existing_key(keyf) if crt.exists() else None
    key = key or ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"{cluster}-ca")])
    now = dt.datetime.now(dt.timezone.utc)
    cert = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name)
        .public_key(key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5)).not_valid_after(now + 10 * VALID)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(True, False, False, False, False, True, True, False, False),
                       critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    _write(keyf, _key_pem(key), private=True)
    _write(crt, cert.public_bytes(serialization.Encoding.PEM))


def _issue(pki: Path, name: str, cn: str, orgs: list[str] = (), dns: list[str] = (),
           ips: list[str] = (), server: bool = False, client: bool = True) -> None:
    crt, keyf = pki / f"{name}.crt", pki / f"{name}.key"
    if crt.exists() and keyf.exists() and _has_extension(crt, x509.AuthorityKeyIdentifier):
        return
    ca_cert, ca_key = _load_ca(pki)
    key = (_existing_key(keyf) if crt.exists() else None) or ec.generate_private_key(ec.SECP256R1())
    attrs = [x509.NameAttribute(NameOID.ORGANIZATION_NAME, o) for o in orgs]
    attrs.append(x509.NameAttribute(NameOID.COMMON_NAME, cn))
    usages = ([ExtendedKeyUsageOID.SERVER_AUTH] if server else []) + \
             ([ExtendedKeyUsageOID.CLIENT_AUTH] if client else [])
    now = dt.datetime.now(dt.timezone.utc)
    builder = (
        x509.CertificateBuilder().subject_name(x509.Name(attrs)).issuer_name(ca_cert.subject)
        .public_key(key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5)).not_valid_after(now + VALID)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(True, False, True, False, False, False, False, False, False),
                       critical=True)
        .add_extension(x509.ExtendedKeyUsage(usages), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
                       critical=False)
    )
    if dns or ips:
        sans = [x509.DNSName(d) for d in dns] + [x509.IPAddress(ipaddress.ip_address(i)) for i in ips]
        builder = builder.add_extension(x509.SubjectAlternativeName(sans), critical=False)
    cert = builder.sign(ca_key, hashes.SHA256())
    _write(keyf, _key_pem(key), private=True)
    _write(crt, cert.public_bytes(serialization.Encoding.PEM))


def _ensure_sa_keys(pki: Path) -> None:
    if (pki / "sa.key").exists() and (pki / "sa.pub").exists():
        return
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    _write(pki / "sa.key", _key_pem(key), private=True)
    _write(pki / "sa.pub", key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo))


def kubeconfig(path: Path, cluster: Cluster, user: str, cert: str, server: str) -> None:
    pki = cluster.pki
    cfg = {
        "apiVersion": "v1", "kind": "Config",
        "clusters": [{"name": cluster.name, "cluster": {
            "server": server, "certificate-authority": str(pki / "ca.crt")}}],
        "users": [{"name": user, "user": {
            "client-certificate": str(pki / f"{cert}.crt"),
            "client-key": str(pki / f"{cert}.key")}}],
        "contexts": [{"name": cluster.context, "context": {"cluster": cluster.name, "user": user}}],
        "current-context": cluster.context,
    }
    _write(path, yaml.safe_dump(cfg, sort_keys=False).encode(), private=True)


def ensure(cluster: Cluster) -> None:
    """Create every certificate, key and kubeconfig the cluster needs (idempotent)."""
    pki = cluster.pki
    _ensure_ca(pki, cluster.name)
    _ensure_sa_keys(pki)
    svc = "kubernetes.default.svc"
    _issue(pki, "apiserver", "kube-apiserver", server=True, client=False,
           dns=["kubernetes", "kubernetes.default", svc, f"{svc}.{cluster.dns_domain}", "localhost"],
           ips=[cluster.cp_ip, cluster.api_service_ip, "127.0.0.1"])
    _issue(pki, "apiserver-kubelet-client", "kube-apiserver-kubelet-client", ["system:masters"])
    _issue(pki, "admin", "kubeha-admin", ["system:masters"])
    _issue(pki, "controller-manager", "system:kube-controller-manager")
    _issue(pki, "scheduler", "system:kube-scheduler")
    _issue(pki, "kube-proxy", "system:kube-proxy", ["system:node-proxier"])
    # Add-ons running as host processes, each with an identity of its own (RBAC in addons/).
    _issue(pki, "metallb-controller", "kubeha:metallb-controller")
    _issue(pki, "kube-network-policies", "kubeha:kube-network-policies")
    local = f"https://127.0.0.1:{cluster.api_port}"
    remote = f"https://{cluster.cp_ip}:{cluster.api_port}"
    kubeconfig(cluster.admin_kubeconfig, cluster, "kubeha-admin", "admin",
               f"https://127.0.0.1:{cluster.host_api_port}")
    kubeconfig(pki / "controller-manager.kubeconfig", cluster, "controller-manager",
               "controller-manager", local)
    kubeconfig(pki / "scheduler.kubeconfig", cluster, "scheduler", "scheduler", local)
    kubeconfig(pki / "kube-proxy.kubeconfig", cluster, "kube-proxy", "kube-proxy", remote)
    kubeconfig(pki / "metallb-controller.kubeconfig", cluster, "metallb-controller",
               "metallb-controller", local)
    kubeconfig(pki / "kube-network-policies.kubeconfig", cluster, "kube-network-policies",
               "kube-network-policies", remote)
    ensure_gateway(cluster)
    ensure_registry(cluster)
    for node in cluster.nodes:
        user = f"system:node:{node.name}"
        _issue(pki, f"kubelet-{node.name}", user, ["system:nodes"])
        _issue(pki, f"kubelet-serving-{node.name}", node.name, server=True, client=False,
               dns=[node.name], ips=[node.ip])
        kubeconfig(pki / f"kubelet-{node.name}.kubeconfig", cluster, user,
                   f"kubelet-{node.name}", remote)


def ensure_gateway(cluster: Cluster) -> tuple[bytes, bytes]:
    """The shared Gateway's TLS certificate (for *.<domain> and <domain>) and key, signed by a
    small CA of the Gateway's own, not the cluster's: clients trust the Gateway's certificates
    with it (facts' gateway.ca_file) and no client certificate of the cluster. Both are made once
    and kept. Returns the certificate and key as the Gateway's TLS Secret holds them."""
    d = cluster.gateway_pki
    _ensure_ca(d, f"{cluster.name}-gateway")
    _issue(d, "tls", GATEWAY["hostname"], dns=[GATEWAY["hostname"], GATEWAY["domain"]],
           server=True, client=False)
    return (d / "tls.crt").read_bytes(), (d / "tls.key").read_bytes()


def ensure_registry(cluster: Cluster) -> None:
    """The registries' TLS certificate (pki/registry/tls.crt, for the bridge's host address, where
    they listen, and 127.0.0.1), signed by a small CA of their own that every node's containerd
    and the registries' clients trust (facts' registry.ca_file). Made once and kept; made again
    when the bridge address changed (the cluster's name taken by another index)."""
    d = cluster.registry_pki
    _ensure_ca(d, f"{cluster.name}-registry")
    ips = [cluster.bridge_ip, "127.0.0.1"]
    crt = d / "tls.crt"
    if crt.exists() and _ip_sans(crt) != set(ips):
        crt.unlink()
    _issue(d, "tls", f"{cluster.name}-registry", ips=ips, server=True, client=False)


def _ip_sans(cert_path: Path) -> set[str]:
    cert = x509.load_pem_x509_certificate(cert_path.read_bytes())
    try:
        sans = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return set()
    return {str(ip) for ip in sans.get_values_for_type(x509.IPAddress)}
