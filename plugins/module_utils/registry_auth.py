# -*- coding: utf-8 -*-
# Copyright: kubeha maintainers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
"""Registry credentials: what a pull secret holds, which of its entries the kubelet would use
for an image, and how a registry asks for them (its WWW-Authenticate challenge).

The matching follows the kubelet's keyring (pkg/credentialprovider): an ``auths`` key is a
host, a host:port, a URL (``https://host/v1/``) or a host with a path prefix; its host matches
part by part (``*`` globs a part), the port must be the same, the path must prefix the image's
repository; the most specific key comes first; Docker Hub's images also take the key
``index.docker.io/v1/`` that ``docker login`` writes.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import binascii
import fnmatch
import json
import re

from urllib.parse import urlencode

DOCKERCONFIGJSON = "kubernetes.io/dockerconfigjson"
DOCKERCFG = "kubernetes.io/dockercfg"
DEFAULT_REGISTRY_KEY = "index.docker.io"


class BadSecret(ValueError):
    """A pull secret that cannot be read as registry credentials; the message names it."""


def _decoded(text, what):
    try:
        return base64.b64decode(text or "").decode("utf-8")
    except (binascii.Error, TypeError, ValueError) as exc:
        raise BadSecret("%s is not base64: %s" % (what, exc))


def secret_auths(secret):
    """The ``auths`` mapping of a Secret of type dockerconfigjson or dockercfg (as read from the
    API: base64 data). Raises BadSecret naming the Secret and what is wrong with it."""
    meta = secret.get("metadata") or {}
    name = "Secret %s" % meta.get("name", "?")
    kind = secret.get("type") or ""
    key = {DOCKERCONFIGJSON: ".dockerconfigjson", DOCKERCFG: ".dockercfg"}.get(kind)
    if not key:
        raise BadSecret("%s has type %s, not %s or %s" % (name, kind or "(none)", DOCKERCONFIGJSON, DOCKERCFG))
    data = (secret.get("data") or {}).get(key)
    if not data:
        raise BadSecret("%s has no %s" % (name, key))
    try:
        config = json.loads(_decoded(data, "%s's %s" % (name, key)))
    except ValueError as exc:
        raise BadSecret("%s's %s is not JSON: %s" % (name, key, exc))
    auths = config.get("auths") if kind == DOCKERCONFIGJSON else config
    if not isinstance(auths, dict):
        raise BadSecret("%s's %s holds no auths mapping" % (name, key))
    return auths


def entry_credentials(entry):
    """(username, password) of one ``auths`` entry: ``username``/``password``, else ``auth``
    (base64 of user:password); None when it holds neither."""
    entry = entry or {}
    if entry.get("username") or entry.get("password"):
        return entry.get("username") or "", entry.get("password") or ""
    if entry.get("auth"):
        user, sep, password = _decoded(entry["auth"], "an auth field").partition(":")
        if sep:
            return user, password
    return None


def _schemeless(key):
    """An ``auths`` key as the keyring stores it: no scheme, /v1/ or /v2/ dropped from the path."""
    key = re.sub(r"^https?://", "", str(key))
    host, sep, path = key.partition("/")
    path = sep + path
    if path.startswith("/v1/") or path.startswith("/v2/"):
        path = path[3:]
    return host + ("" if path in ("", "/") else path)


def _split(location):
    host, path = (location.split("/", 1) + [""])[:2]
    host, port = (host.split(":", 1) + [""])[:2]
    return host.split("."), port, "/" + path


def key_matches(key, image):
    """Whether a (schemeless) ``auths`` key names the registry of ``image`` (registry/repository)."""
    key_parts, key_port, key_path = _split(key)
    image_parts, image_port, image_path = _split(image)
    if key_port != image_port or len(key_parts) != len(image_parts):
        return False
    if key_path != "/" and not image_path.startswith(key_path):
        return False
    return all(fnmatch.fnmatchcase(i, k) for k, i in zip(key_parts, image_parts))


def _is_docker_hub(image):
    return image.split("/", 1)[0] in ("docker.io", "index.docker.io")


def matching_credentials(image, secrets):
    """The credentials the kubelet would try for ``image`` (registry/repository), in its order:
    ``secrets`` is a list of (secret name, auths mapping) in the pod's order. Returns a list of
    dict(secret, key, username, password), most specific key first."""
    found = []
    for secret_name, auths in secrets:
        for key, entry in (auths or {}).items():
            creds = entry_credentials(entry)
            if creds is not None:
                found.append(dict(secret=secret_name, key=_schemeless(key), username=creds[0], password=creds[1]))
    # The kubelet's index is sorted in reverse: a longer path of the same host comes first.
    keys = sorted(set(c["key"] for c in found), reverse=True)
    matched = [c for k in keys if key_matches(k, image) for c in found if c["key"] == k]
    if not matched and _is_docker_hub(image):
        matched = [c for c in found if c["key"] == DEFAULT_REGISTRY_KEY]
    return matched


def basic_header(username, password):
    raw = ("%s:%s" % (username, password)).encode("utf-8")
    return "Basic " + base64.b64encode(raw).decode("ascii")


_CHALLENGE_PARAM = re.compile(r'\s*([A-Za-z0-9_.-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^,\s]*))\s*,?')


def parse_challenge(header):
    """A WWW-Authenticate header → (scheme in lower case, params dict); ('', {}) when empty.
    Quoted values may hold commas (scope="repository:a/b:pull,push")."""
    header = (header or "").strip()
    if not header:
        return "", {}
    scheme, rest = (header.split(" ", 1) + [""])[:2]
    params = {}
    for match in _CHALLENGE_PARAM.finditer(rest):
        value = match.group(2) if match.group(2) is not None else match.group(3)
        params[match.group(1).lower()] = re.sub(r"\\(.)", r"\1", value or "")
    return scheme.lower(), params


def token_url(params, repository):
    """The URL to ask a Bearer challenge's realm for a pull token of ``repository``: its
    service and scope as given, the pull scope of the repository when it names none."""
    query = []
    if params.get("service"):
        query.append(("service", params["service"]))
    query.append(("scope", params.get("scope") or "repository:%s:pull" % repository))
    realm = params.get("realm") or ""
    return realm + ("&" if "?" in realm else "?") + urlencode(query)


def token_of(body):
    """The token of a token endpoint's JSON answer (``token``, or OAuth2's ``access_token``)."""
    try:
        answer = json.loads(body.decode("utf-8") if isinstance(body, bytes) else body)
    except ValueError:
        return ""
    if not isinstance(answer, dict):
        return ""
    return answer.get("token") or answer.get("access_token") or ""
