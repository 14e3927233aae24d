"""kubeha.webapp.http_check retries a path that needs a moment (first pauses short) without
giving up sooner than its retries x delay budget; run as a module on a loopback server."""
from __future__ import annotations

from playlib import run_module


def http_check(url: str, retries: int, delay: float) -> dict:
    return run_module("kubeha.webapp.http_check", dict(
        endpoints=[dict(name="nodeport", url=url)], expected_body="version=v1", retries=retries,
        delay=delay, timeout=2, fail_on_error=False))[0]


def test_a_path_that_needs_a_moment_passes_before_the_retry_budget_is_spent(server):
    state, url = server
    state["fail_first"] = 3
    # Two attempts 3 s apart would fail; the short first pauses reach the fourth request.
    res = http_check(url, retries=2, delay=3)
    (ep,) = res["results"]
    assert ep["ok"], res
    assert ep["attempts"] == 4


def test_a_path_that_never_passes_fails_after_its_retries_naming_what_it_answered(server):
    state, url = server
    state["fail_first"] = 10 ** 6
    res = http_check(url, retries=3, delay=0.5)
    (ep,) = res["results"]
    assert not ep["ok"]
    assert ep["attempts"] >= 3 and ep["status"] == 503 and ep["body"] == "not ready"


def make_tls_files(tmp_path, hostname):
    """A CA and a server certificate for `hostname` signed by it (PEM files), as a cluster's Gateway
    has one."""
    import datetime

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    now = datetime.datetime.now(datetime.timezone.utc)

    def cert(subject, issuer, key, signer, ca, san=None):
        # Key identifiers too: Python 3.13 verifies strictly (X.509 v3 as RFC 5280 says).
        b = (x509.CertificateBuilder().subject_name(subject).issuer_name(issuer).public_key(key.public_key())
             .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(minutes=1))
             .not_valid_after(now + datetime.timedelta(hours=1))
             .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
             .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
             .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(signer.public_key()),
                            critical=False))
        if ca:
            b = b.add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True,
                                              content_commitment=False, key_encipherment=False,
                                              data_encipherment=False, key_agreement=False,
                                              encipher_only=False, decipher_only=False), critical=True)
        if san:
            b = b.add_extension(x509.SubjectAlternativeName([x509.DNSName(san)]), critical=False)
        return b.sign(signer, hashes.SHA256())

    ca_key, key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "test CA")])
    ca = cert(ca_name, ca_name, ca_key, ca_key, True)
    leaf = cert(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, hostname)]), ca_name, key, ca_key, False, hostname)
    pem = serialization.Encoding.PEM
    (tmp_path / "ca.pem").write_bytes(ca.public_bytes(pem))
    (tmp_path / "tls.pem").write_bytes(leaf.public_bytes(pem) + key.private_bytes(
        pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    return tmp_path / "ca.pem", tmp_path / "tls.pem"


def test_resolve_reaches_an_https_listener_by_its_server_name_as_curl_resolve_does(tmp_path):
    """The Gateway's HTTPS listener before DNS names it: the request goes to the address, the
    server name (SNI) and Host header are the hostname, the certificate is checked for it."""
    import ssl
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    host = "web.kubeha.test"
    ca_file, tls_file = make_tls_files(tmp_path, host)
    seen = {}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            seen["host"] = self.headers.get("Host")
            body = b"kubeha-web version=v1"
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(tls_file)
    ctx.sni_callback = lambda sock, name, _ctx: seen.__setitem__("sni", name)
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.socket = ctx.wrap_socket(httpd.socket, server_side=True)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    port = httpd.server_address[1]
    try:
        def check(**extra):
            return run_module("kubeha.webapp.http_check", dict(
                endpoints=[dict(name="gateway https", url=f"https://{host}:{port}/")],
                expected_body="version=v1", retries=1, delay=0.1, timeout=2, fail_on_error=False,
                **extra))[0]["results"][0]

        ok = check(resolve=[f"{host}:{port}:127.0.0.1"], ca_file=str(ca_file))
        assert ok["ok"], ok
        assert seen == {"host": f"{host}:{port}", "sni": host}
        # Without the CA the certificate is not trusted; without resolve the name does not resolve.
        untrusted = check(resolve=[f"{host}:{port}:127.0.0.1"])
        assert not untrusted["ok"] and "CERTIFICATE_VERIFY_FAILED" in untrusted["error"], untrusted
        unresolved = check(ca_file=str(ca_file))
        assert not unresolved["ok"] and unresolved["status"] == 0, unresolved
    finally:
        httpd.shutdown()


def test_a_resolve_entry_that_does_not_parse_is_refused_naming_it():
    res, _ = run_module("kubeha.webapp.http_check", dict(
        endpoints=[dict(name="x", url="https://web.kubeha.test/")], resolve=["web.kubeha.test:443"]))
    assert res["failed"] and "'web.kubeha.test:443' is not HOST:PORT:ADDRESS" in res["msg"], res
