# -*- coding: utf-8 -*-
# Copyright: kubeha maintainers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
"""A small Kubernetes API client for the kubeha.webapp modules: a kubeconfig, one HTTPS
connection, JSON in and out.

Why not the ``kubernetes`` package: importing it loads about a thousand model modules, which
costs seconds of CPU in every task that runs a module (5-10 s on a small 2-core machine, where a
play runs a dozen such tasks). These modules only GET, POST and DELETE a few paths, so they
talk to the API directly when the connection is described by a kubeconfig alone (a file or a
dict, a context, optionally ``validate_certs``/``ca_cert``) with a user this client handles:
client certificates, a bearer token or token file, an ``exec`` credential plugin, or basic
auth. Anything else (``host``/``api_key`` options, other ``K8S_AUTH_*`` variables, an
``auth-provider``, impersonation, a proxy, several kubeconfig files merged) returns None from
``light_config``, and kube_client.api_client() builds the ``kubernetes`` package's client
exactly as kubernetes.core does.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import http.client
import json
import os
import shutil
import ssl
import subprocess
import tempfile

from urllib.parse import urlencode, urlsplit

try:
    import yaml

    HAS_YAML = True
except ImportError:  # pragma: no cover
    HAS_YAML = False


class ApiError(Exception):
    """An API answer that is not a success (status, reason, body), or status 0 when no answer
    came (connection refused, TLS failure, time-out)."""

    def __init__(self, status, reason, body=""):
        super(ApiError, self).__init__("%s %s" % (status, reason))
        self.status = status
        self.reason = reason
        self.body = body


class ConfigError(Exception):
    """The kubeconfig cannot be used (missing file, unknown context, failing exec plugin)."""


# The options a kubeconfig-only connection may set; any other one needs the kubernetes package.
LIGHT_OPTIONS = ("kubeconfig", "context", "validate_certs", "ca_cert")
# Of kubernetes.core's K8S_AUTH_* variables, those this client reads itself.
LIGHT_ENV = ("K8S_AUTH_KUBECONFIG", "K8S_AUTH_CONTEXT")
USER_KEYS = {"client-certificate", "client-certificate-data", "client-key", "client-key-data",
             "token", "tokenFile", "exec", "username", "password", "extensions"}
CLUSTER_KEYS = {"server", "certificate-authority", "certificate-authority-data",
                "insecure-skip-tls-verify", "extensions"}


def _named(items, name, what):
    for item in items or []:
        if item.get("name") == name:
            return item.get(what) or {}
    return None


def light_config(params, environ=None):
    """The connection as a dict for HttpClient, or None when the kubernetes package must build
    it. Raises ConfigError for a kubeconfig that cannot work with either."""
    environ = os.environ if environ is None else environ
    for key, value in params.items():
        if value not in (None, "", [], {}) and key not in LIGHT_OPTIONS:
            return None
    for var, value in environ.items():
        if var.startswith("K8S_AUTH_") and var not in LIGHT_ENV and value:
            return None
    if not HAS_YAML:
        return None
    kubeconfig = (params.get("kubeconfig") or environ.get("K8S_AUTH_KUBECONFIG")
                  or environ.get("KUBECONFIG") or "~/.kube/config")
    if isinstance(kubeconfig, dict):
        data, base = kubeconfig, os.getcwd()
    elif isinstance(kubeconfig, str):
        if os.pathsep in kubeconfig:
            return None  # several files merged: the kubernetes package's merging rules apply
        path = os.path.expanduser(kubeconfig)
        if not os.path.isfile(path):
            raise ConfigError("kubeconfig file %s does not exist" % kubeconfig)
        with open(path) as f:
            data = yaml.safe_load(f) or {}
        base = os.path.dirname(os.path.abspath(path))
    else:
        return None
    context_name = params.get("context") or environ.get("K8S_AUTH_CONTEXT") or data.get("current-context")
    if not context_name:
        raise ConfigError("the kubeconfig names no current-context and no context was given")
    context = _named(data.get("contexts"), context_name, "context")
    if context is None:
        raise ConfigError("context %r is not usable: it is not in the kubeconfig" % context_name)
    cluster = _named(data.get("clusters"), context.get("cluster"), "cluster")
    user = _named(data.get("users"), context.get("user"), "user")
    if cluster is None or not cluster.get("server"):
        raise ConfigError("context %r names cluster %r, which the kubeconfig does not define"
                          % (context_name, context.get("cluster")))
    user = user or {}
    if set(cluster) - CLUSTER_KEYS or set(user) - USER_KEYS:
        return None  # proxy-url, tls-server-name, auth-provider, impersonation...
    return dict(cluster=cluster, user=user, base=base, namespace=context.get("namespace"),
                validate_certs=params.get("validate_certs"), ca_cert=params.get("ca_cert"))


def _path(base, path):
    return path if os.path.isabs(path) else os.path.join(base, path)


def _exec_credential(spec, base):
    """Run a kubeconfig's exec credential plugin (client.authentication.k8s.io) once."""
    command = spec.get("command") or ""
    if os.sep in command and not os.path.isabs(command):
        command = os.path.join(base, command)
    env = dict(os.environ)
    for item in spec.get("env") or []:
        env[item["name"]] = item["value"]
    env["KUBERNETES_EXEC_INFO"] = json.dumps({
        "apiVersion": spec.get("apiVersion", "client.authentication.k8s.io/v1"),
        "kind": "ExecCredential", "spec": {"interactive": False}})
    try:
        proc = subprocess.run([command] + list(spec.get("args") or []), env=env,
                              stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=120,
                              check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise ConfigError("the kubeconfig's exec credential plugin %s did not run: %s" % (command, exc))
    if proc.returncode != 0:
        raise ConfigError("the kubeconfig's exec credential plugin %s failed (exit %s): %s"
                          % (command, proc.returncode, proc.stderr.strip()[-300:]))
    try:
        return json.loads(proc.stdout).get("status") or {}
    except ValueError:
        raise ConfigError("the kubeconfig's exec credential plugin %s printed no ExecCredential" % command)


class HttpClient:
    """One keep-alive HTTPS (or HTTP) connection to the API server."""

    def __init__(self, config):
        cluster, user, base = config["cluster"], config["user"], config["base"]
        self.host = cluster["server"].rstrip("/")
        parts = urlsplit(self.host)
        self._https = parts.scheme == "https"
        self._netloc = parts.netloc
        self._prefix = parts.path.rstrip("/")
        self.headers = {}
        self._conn = None
        self._ssl = None
        # An exec plugin runs once: it may give a token, a client certificate, or both.
        self._exec_status = _exec_credential(user["exec"], base) if user.get("exec") else {}
        if self._https:
            self._ssl = self._ssl_context(config, cluster, user, base)
        self._auth(user, base)

    def _ssl_context(self, config, cluster, user, base):
        verify = config.get("validate_certs")
        if verify is None:
            verify = not cluster.get("insecure-skip-tls-verify", False)
        # Only the cluster's CA is trusted when the kubeconfig names one (loading the system's
        # whole store costs a second on a small machine and trusts more than needed).
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        if not verify:
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
        elif config.get("ca_cert"):
            ctx.load_verify_locations(cafile=config["ca_cert"])
        elif cluster.get("certificate-authority-data"):
            ctx.load_verify_locations(cadata=base64.b64decode(cluster["certificate-authority-data"]).decode())
        elif cluster.get("certificate-authority"):
            ctx.load_verify_locations(cafile=_path(base, cluster["certificate-authority"]))
        else:
            ctx.load_default_certs()
        cert, key = self._client_cert(user, base)
        if cert and key:
            self._load_cert_chain(ctx, cert, key)
        return ctx

    def _client_cert(self, user, base):
        """(certificate, key) as ("file", path) or ("data", PEM bytes), from the user or its
        exec plugin."""
        def pick(name):
            if user.get(name + "-data"):
                return ("data", base64.b64decode(user[name + "-data"]))
            if user.get(name):
                return ("file", _path(base, user[name]))
            return None
        if self._exec_status.get("clientCertificateData"):
            return (("data", self._exec_status["clientCertificateData"].encode()),
                    ("data", self._exec_status["clientKeyData"].encode()))
        return pick("client-certificate"), pick("client-key")

    @staticmethod
    def _load_cert_chain(ctx, cert, key):
        if cert[0] == "file" and key[0] == "file":
            ctx.load_cert_chain(cert[1], key[1])
            return
        # The ssl module loads certificates from files only: a private directory, removed at once.
        tmp = tempfile.mkdtemp(prefix="kubeha-tls-")
        try:
            paths = []
            for i, (kind, value) in enumerate((cert, key)):
                if kind == "file":
                    paths.append(value)
                    continue
                path = os.path.join(tmp, str(i))
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
                with os.fdopen(fd, "wb") as f:
                    f.write(value)
                paths.append(path)
            ctx.load_cert_chain(paths[0], paths[1])
        finally:
            shutil.rmtree(tmp, ignore_errors=True)

    def _auth(self, user, base):
        token = self._exec_status.get("token") or user.get("token")
        if not token and user.get("tokenFile"):
            with open(_path(base, user["tokenFile"])) as f:
                token = f.read().strip()
        if token:
            self.headers["Authorization"] = "Bearer %s" % token
        elif user.get("username"):
            basic = "%s:%s" % (user["username"], user.get("password", ""))
            self.headers["Authorization"] = "Basic %s" % base64.b64encode(basic.encode()).decode()

    def _connection(self, timeout):
        if self._conn is None:
            if self._https:
                self._conn = http.client.HTTPSConnection(self._netloc, timeout=timeout, context=self._ssl)
            else:
                self._conn = http.client.HTTPConnection(self._netloc, timeout=timeout)
            self._conn.connect()
        self._conn.sock.settimeout(timeout)
        return self._conn

    def close(self):
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def request(self, method, path, query=None, body=None, timeout=30, accept="application/json",
                content_type="application/json"):
        """The response body (bytes) of a 2xx answer; ApiError otherwise. ``content_type`` of a
        body: a PATCH says which kind it is (application/json-patch+json, ...)."""
        url = self._prefix + path + ("?" + urlencode(list((query or {}).items())) if query else "")
        headers = dict(self.headers, Accept=accept)
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = content_type
        for attempt in (1, 2):
            reused = self._conn is not None
            try:
                conn = self._connection(timeout)
                conn.request(method, url, body=data, headers=headers)
                resp = conn.getresponse()
                payload = resp.read()
                break
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError) as exc:
                self.close()
                # The server closed a connection kept from an earlier request before reading
                # this one: send it once more on a new connection.
                if attempt == 1 and reused:
                    continue
                raise ApiError(0, str(exc) or type(exc).__name__)
            except (OSError, http.client.HTTPException) as exc:
                self.close()
                raise ApiError(0, str(exc) or type(exc).__name__)
        if resp.status >= 400:
            raise ApiError(resp.status, resp.reason, payload.decode("utf-8", "replace"))
        return payload
