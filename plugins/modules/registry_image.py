#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: kubeha maintainers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: registry_image
short_description: Ask an image's registry whether it holds the reference, and its digest
version_added: 1.1.0
description:
  - Asks the registry named in I(image) (Docker Hub when it names none) whether the tag or digest
    exists, with the Distribution API (Docker Registry HTTP API v2) - a C(HEAD) of the manifest,
    a C(GET) when the registry refuses C(HEAD) or to learn its reason. Nothing is pulled.
  - Answers the registry's authentication challenge as a container runtime does - C(Basic) with
    the credentials of the pull secrets, C(Bearer) with a token from the realm the registry names
    (with those credentials, or anonymously for public images).
  - Contacts only the registry of the reference and the token realm it names.
  - The pull secrets are read by the module through the Kubernetes API, so their credentials
    never become Ansible variables; their entries are matched to the registry as the kubelet
    matches them.
  - A missing image, refused credentials or an unreachable registry are results, not failures
    (I(outcome)); the task fails only for a bad reference or a pull secret that cannot be read.
  - Read-only; supports check mode.
extends_documentation_fragment:
  - kubeha.webapp.options.k8s_auth
options:
  image:
    description:
      - Image reference, as a pod names it - C(10.217.0.1:5000/kubeha/web:v2), C(nginx:1.27),
        C(ghcr.io/org/app@sha256:...). No tag means C(latest).
    type: str
    required: true
  namespace:
    description: Namespace of the pull secrets.
    type: str
  pull_secrets:
    description:
      - Names of Secrets in I(namespace) of type C(kubernetes.io/dockerconfigjson) or
        C(kubernetes.io/dockercfg), in the order of the pod's C(imagePullSecrets).
      - Needs C(get) on these Secrets. Empty asks the registry anonymously.
    type: list
    elements: str
    default: []
  ca_file:
    description: A CA certificate file the registry's TLS certificate may also chain to.
    type: path
  validate_certs:
    description:
      - Verify the registry's TLS certificate. Unlike in the other modules, this option is about
        the registry, not the Kubernetes API.
    type: bool
    default: true
    aliases: [verify_ssl]
  timeout:
    description: Seconds one request to the registry may take.
    type: int
    default: 10
author:
  - kubeha maintainers (@kubeha)
"""

EXAMPLES = r"""
- name: The new image exists in its registry
  kubeha.webapp.registry_image:
    image: 10.217.0.1:5000/kubeha/web:v2
    namespace: webapp
    pull_secrets: [registry-credentials]
    ca_file: /etc/kubeha/registry-ca.crt
  register: checked

- name: Refuse a tag the registry does not hold
  ansible.builtin.assert:
    that: checked.exists
    fail_msg: "{{ checked.image }}: {{ checked.reason }}"
"""

RETURN = r"""
exists:
  description: Whether the registry holds the reference.
  returned: always
  type: bool
digest:
  description: >-
    The manifest's digest (the registry's Docker-Content-Digest, else the sha256 of the manifest),
    empty when it does not exist.
  returned: always
  type: str
  sample: sha256:4b1d2ec2f4e5a2e6a1bd6d3a9e27c4c0b8a9bf3f3e6c0f0d6f7b4a3a6a8b9c0d
media_type:
  description: Media type of the manifest (an index for a multi-platform image).
  returned: always
  type: str
  sample: application/vnd.oci.image.index.v1+json
outcome:
  description: C(found), C(missing), C(unauthorized) or C(unreachable).
  returned: always
  type: str
reason:
  description: >-
    Unless found, why - in the registry's own words (its errors as CODE and message, e.g.
    MANIFEST_UNKNOWN), or the connection error.
  returned: always
  type: str
  sample: "MANIFEST_UNKNOWN: manifest unknown"
registry:
  description: The registry as the reference names it (docker.io when it names none).
  returned: always
  type: str
  sample: 10.217.0.1:5000
repository:
  description: The repository in that registry (Docker Hub's single names under library/).
  returned: always
  type: str
reference:
  description: The tag or digest asked for.
  returned: always
  type: str
image:
  description: The reference as given.
  returned: always
  type: str
auth:
  description: How the registry was asked - C(anonymous), C(basic) or C(bearer).
  returned: always
  type: str
credentials_from:
  description: The pull secret whose credentials were used, empty when none matched the registry.
  returned: always
  type: str
"""

import os
import socket
import ssl

from http.client import HTTPException
from urllib.error import HTTPError, URLError
from urllib.parse import urlsplit
from urllib.request import HTTPRedirectHandler, HTTPSHandler, Request, build_opener

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.kubeha.webapp.plugins.module_utils.kube_client import api_client, get_json
from ansible_collections.kubeha.webapp.plugins.module_utils.kube_errors import describe_error
from ansible_collections.kubeha.webapp.plugins.module_utils.options import K8S_AUTH_OPTIONS, argument_spec
from ansible_collections.kubeha.webapp.plugins.module_utils.registry_api import Response, Unreachable, lookup
from ansible_collections.kubeha.webapp.plugins.module_utils.registry_auth import (
    BadSecret,
    matching_credentials,
    secret_auths,
)
from ansible_collections.kubeha.webapp.plugins.module_utils.registry_ref import (
    BadReference,
    credential_image,
    parse,
)

# A manifest or an error is a few KiB; an index of many platforms some tens.
MAX_BODY = 4 * 1024 * 1024
# The Kubernetes connection: every k8s_auth option but validate_certs, which is the registry's here.
KUBE_OPTIONS = [k for k in K8S_AUTH_OPTIONS if k != "validate_certs"]


class KubeConnection(object):
    """What kube_client.api_client() reads of a module: its connection options, without the
    registry's validate_certs."""

    def __init__(self, module):
        self.params = dict((k, module.params.get(k)) for k in KUBE_OPTIONS)
        self.fail_json = module.fail_json


def pull_secret_auths(module, namespace, names):
    """[(name, auths)] of the pull secrets, in order; fails naming the one that cannot be read."""
    client = None
    found = []
    for name in names:
        try:
            client = client or api_client(KubeConnection(module))
            secret = get_json(client, "/api/v1/namespaces/%s/secrets/%s" % (namespace, name))
        except Exception as exc:  # API errors and an unusable kubeconfig, said in one line
            module.fail_json(msg="pull secret %s: %s" % (name, describe_error(
                exc, client, "reading Secret %s in namespace %s" % (name, namespace))))
        if secret is None:
            module.fail_json(msg="pull secret %s does not exist in namespace %s" % (name, namespace))
        try:
            found.append((name, secret_auths(secret)))
        except BadSecret as exc:
            module.fail_json(msg="pull secret %s in namespace %s: %s" % (name, namespace, exc))
    return found


class SameHostRedirects(HTTPRedirectHandler):
    """Redirects are followed only to the hosts the check may contact."""

    allowed_hosts = ()

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        if urlsplit(newurl).netloc not in self.allowed_hosts:
            return None  # urllib then reports the redirect itself as the answer
        return HTTPRedirectHandler.redirect_request(self, req, fp, code, msg, headers, newurl)


def https_sender(ca_file, validate_certs, timeout, api_host):
    context = ssl.create_default_context()
    if ca_file:
        context.load_verify_locations(cafile=ca_file)
    if not validate_certs:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    redirects = SameHostRedirects()
    redirects.allowed_hosts = {api_host}
    opener = build_opener(HTTPSHandler(context=context), redirects)

    def send(method, url, headers):
        host = urlsplit(url).netloc
        redirects.allowed_hosts.add(host)  # the registry, or the token realm it named
        try:
            with opener.open(Request(url, headers=headers, method=method), timeout=timeout) as answer:
                return Response(answer.status, dict(answer.headers.items()),
                                answer.read(MAX_BODY) if method == "GET" else b"", answer.reason)
        except HTTPError as exc:
            return Response(exc.code, dict(exc.headers.items()) if exc.headers else {}, exc.read(MAX_BODY), exc.reason)
        except URLError as exc:
            raise Unreachable("cannot reach %s: %s" % (host, getattr(exc, "reason", exc)))
        except (socket.timeout, ssl.SSLError, HTTPException, OSError) as exc:
            raise Unreachable("cannot reach %s: %s" % (host, exc or type(exc).__name__))
    return send


def main(module_class=AnsibleModule):
    spec = argument_spec(
        dict((k, v) for k, v in K8S_AUTH_OPTIONS.items() if k != "validate_certs"),
        image=dict(type="str", required=True),
        namespace=dict(type="str"),
        pull_secrets=dict(type="list", elements="str", default=[], no_log=False),  # names, not credentials
        ca_file=dict(type="path"),
        # verify_ssl as well: the k8s_auth fragment documents that alias for validate_certs.
        validate_certs=dict(type="bool", default=True, aliases=["verify_ssl"]),
        timeout=dict(type="int", default=10),
    )
    module = module_class(argument_spec=spec, supports_check_mode=True)
    p = module.params
    try:
        target = parse(p["image"])
    except BadReference as exc:
        module.fail_json(msg="image=%s: %s" % (p["image"], exc))
    if p["pull_secrets"] and not p["namespace"]:
        module.fail_json(msg="pull_secrets %s need the namespace that holds them" % ", ".join(p["pull_secrets"]))
    if p["ca_file"] and not os.path.isfile(p["ca_file"]):
        module.fail_json(msg="ca_file=%s does not exist or is not a file" % p["ca_file"])
    if p["timeout"] < 1:
        module.fail_json(msg="timeout=%s must be 1 or more" % p["timeout"])
    secrets = pull_secret_auths(module, p["namespace"], p["pull_secrets"])
    credentials = matching_credentials(credential_image(target), secrets)
    try:
        send = https_sender(p["ca_file"], p["validate_certs"], p["timeout"], target["api_host"])
    except (ssl.SSLError, OSError) as exc:
        module.fail_json(msg="ca_file=%s cannot be used: %s" % (p["ca_file"], exc))
    result = lookup(target, credentials, send)
    module.exit_json(changed=False, image=p["image"], registry=target["registry"], repository=target["repository"],
                     reference=target["reference"], credentials_from=credentials[0]["secret"] if credentials else "",
                     **result)


if __name__ == "__main__":
    main()
