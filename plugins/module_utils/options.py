# -*- coding: utf-8 -*-
# Copyright: kubeha maintainers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
"""Option sets that several modules take, each documented once by the attribute of the same name
in plugins/doc_fragments/options.py (K8S_AUTH_OPTIONS by kubeha.webapp.options.k8s_auth, ...)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy

from ansible_collections.kubernetes.core.plugins.module_utils.helm_args_common import (
    HELM_AUTH_ARG_SPEC,
)


def argument_spec(*option_sets, **options):
    """A module's argument_spec: copies of the shared option sets (AnsibleModule may change the
    dicts it is given), then the module's own options."""
    spec = {}
    for option_set in option_sets:
        spec.update(copy.deepcopy(option_set))
    spec.update(options)
    return spec


# Connection options, the same names and meanings as kubernetes.core's (AUTH_ARG_SPEC).
K8S_AUTH_OPTIONS = dict(
    kubeconfig=dict(type="raw", no_log=True),
    context=dict(type="str"),
    host=dict(type="str"),
    api_key=dict(type="str", no_log=True),
    validate_certs=dict(type="bool", aliases=["verify_ssl"]),
    ca_cert=dict(type="path", aliases=["ssl_ca_cert"]),
    client_cert=dict(type="path", aliases=["cert_file"]),
    client_key=dict(type="path", aliases=["key_file"]),
    proxy=dict(type="str"),
    impersonate_user=dict(type="str"),
    impersonate_groups=dict(type="list", elements="str"),
)

# Connection options of the helm modules: kubernetes.core's. helm_rollback takes them as they are
# (AnsibleHelmModule hands them to helm); release_info takes them without the K8S_AUTH_* fallbacks,
# since kube_client.api_client() reads those variables itself for the options left unset (so there,
# validate_certs keeps its default of true whatever K8S_AUTH_VERIFY_SSL says).
HELM_AUTH_OPTIONS = dict(
    (name, dict((key, value) for key, value in spec.items() if key != "fallback"))
    for name, spec in HELM_AUTH_ARG_SPEC.items()
)

# The release the helm modules act on.
HELM_RELEASE_OPTIONS = dict(
    release_name=dict(type="str", required=True, aliases=["name"]),
    release_namespace=dict(type="str", required=True, aliases=["namespace"]),
)

# The endpoints the endpoint check modules request, and the answer they must give.
ENDPOINT_CHECK_OPTIONS = dict(
    endpoints=dict(
        type="list",
        elements="dict",
        required=True,
        options=dict(
            name=dict(type="str", required=True),
            url=dict(type="str", required=True),
            host=dict(type="str"),
        ),
    ),
    expected_status=dict(type="int", default=200),
    expected_body=dict(type="str", default=""),
    retries=dict(type="int", default=10),
    fail_on_error=dict(type="bool", default=True),
)

# The image of a module's short-lived client pod.
CLIENT_POD_OPTIONS = dict(
    image=dict(type="str", required=True),
    image_pull_policy=dict(type="str", default="IfNotPresent", choices=["Always", "IfNotPresent", "Never"]),
)
