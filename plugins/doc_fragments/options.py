# -*- coding: utf-8 -*-
# Copyright: kubeha maintainers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)

# Options that several modules take (their argument specs: plugins/module_utils/options.py).
# A module names the set it takes: extends_documentation_fragment: [kubeha.webapp.options.k8s_auth]

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):
    # Modules that talk to the Kubernetes API: a subset of kubernetes.core's k8s_auth_options,
    # with the same names, so one module_defaults entry for group/kubeha.webapp.k8s serves both
    # collections.
    K8S_AUTH = r"""
options:
  kubeconfig:
    description: Path of a kubeconfig file, or its content as a dict.
    type: raw
  context:
    description: Context of the kubeconfig to use.
    type: str
  host:
    description: API server URL.
    type: str
  api_key:
    description: Bearer token.
    type: str
  validate_certs:
    description: Verify the API server's certificate.
    type: bool
    aliases: [verify_ssl]
  ca_cert:
    description: CA certificate of the API server.
    type: path
    aliases: [ssl_ca_cert]
  client_cert:
    description: Client certificate.
    type: path
    aliases: [cert_file]
  client_key:
    description: Client key.
    type: path
    aliases: [key_file]
  proxy:
    description: HTTP proxy URL.
    type: str
  impersonate_user:
    description: User to impersonate.
    type: str
  impersonate_groups:
    description: Groups to impersonate.
    type: list
    elements: str
requirements:
  - kubernetes >= 24.2.0
"""

    # The helm modules: the release, and kubernetes.core's helm connection options, so one
    # module_defaults entry for group/kubeha.webapp.helm serves both collections.
    HELM = r"""
options:
  release_name:
    description: Helm release name.
    type: str
    required: true
    aliases: [name]
  release_namespace:
    description: Namespace of the release.
    type: str
    required: true
    aliases: [namespace]
  binary_path:
    description: Path of the helm binary. Default C(helm) on the PATH.
    type: path
  kubeconfig:
    description: Path of a kubeconfig file, or its content as a dict.
    type: raw
    aliases: [kubeconfig_path]
  context:
    description: Context of the kubeconfig to use. Default the kubeconfig's current context.
    type: str
    aliases: [kube_context]
  host:
    description: API server URL (with I(api_key)).
    type: str
  api_key:
    description: Bearer token (with I(host)).
    type: str
  validate_certs:
    description: Verify the API server's certificate.
    type: bool
    default: true
    aliases: [verify_ssl]
  ca_cert:
    description: CA certificate of the API server.
    type: path
    aliases: [ssl_ca_cert]
"""

    # The endpoint check modules: the endpoints they request and the answer they expect.
    ENDPOINT_CHECKS = r"""
options:
  endpoints:
    description: Endpoints to request.
    type: list
    elements: dict
    required: true
    suboptions:
      name:
        description: Label of the endpoint in results and messages.
        type: str
        required: true
      url:
        description: URL to GET.
        type: str
        required: true
      host:
        description: Host header to send (e.g. an Ingress host when the URL is the controller's address).
        type: str
  expected_status:
    description: HTTP status every endpoint must answer.
    type: int
    default: 200
  expected_body:
    description: Text the body must contain. Empty accepts any body.
    type: str
    default: ""
  retries:
    description: Attempts per endpoint before it is declared failed.
    type: int
    default: 10
  fail_on_error:
    description: Fail the task when an endpoint never passes.
    type: bool
    default: true
"""

    # Modules that run a short-lived client pod.
    CLIENT_POD = r"""
options:
  image:
    description:
      - Image of the client pod - busybox, or any image with C(sh), C(wget), C(sed), C(grep),
        C(head), C(tail) and C(tr).
    type: str
    required: true
  image_pull_policy:
    description: Pull policy of the client image.
    type: str
    default: IfNotPresent
    choices: [Always, IfNotPresent, Never]
"""
