# -*- coding: utf-8 -*-
# Copyright: kubeha maintainers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
"""The modules' Kubernetes API client, built from the same connection options as
kubernetes.core's modules (so one ``module_defaults`` entry serves both): kube_http's own small
client for a kubeconfig, the ``kubernetes`` package's for everything else; and the few requests
the modules make with it (GET/any call with JSON, a pod's log)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os

from ansible_collections.kubeha.webapp.plugins.module_utils.kube_errors import KubeError, config_error_text
from ansible_collections.kubeha.webapp.plugins.module_utils.kube_http import (
    ApiError,
    ConfigError,
    HttpClient,
    light_config,
)
from ansible_collections.kubeha.webapp.plugins.module_utils.options import K8S_AUTH_OPTIONS

# Seconds one API request may take. An API server that shares a small machine with busy clients
# (the project's own cluster during its tests) can take more than 10 s to list a release's
# records; a slow answer is not an unreachable cluster.
REQUEST_TIMEOUT = 30


def _auth_from_params(params):
    """Connection options → kubernetes.core's get_api_client keyword arguments."""
    auth = {}
    for key in K8S_AUTH_OPTIONS:
        value = params.get(key)
        if value is not None:
            auth[key] = value
    return auth


def api_client(module):
    """A client for the module's connection options, with ``request()`` and ``host``.

    A kubeconfig-only connection gets kube_http's client (no import of the kubernetes package);
    anything else is configured by kubernetes.core's own client factory, so host/api_key,
    certificates, proxies and the K8S_AUTH_* environment variables behave exactly as in
    kubernetes.core's modules.
    """
    auth = _auth_from_params(module.params)
    try:
        config = light_config(auth)
        if config is not None:
            return HttpClient(config)
    except ConfigError as exc:
        raise KubeError(str(exc))
    except Exception as exc:  # unreadable YAML, certificate files, a malformed entry
        raise KubeError("cannot build a Kubernetes client from the kubeconfig: %s" % exc)
    return _kubernetes_package_client(module, auth)


def _kubernetes_package_client(module, auth):
    try:
        import kubernetes  # noqa: F401  (seconds to import: only when kube_http cannot serve)
        from ansible_collections.kubernetes.core.plugins.module_utils.k8s import client as k8s_client
    except ImportError as exc:
        module.fail_json(
            msg="the 'kubernetes' Python package is required on the host running this module "
            "for these connection options (pip install kubernetes): %s" % exc
        )
    kubeconfig = auth.get("kubeconfig")
    if isinstance(kubeconfig, str):
        path = os.path.expanduser(kubeconfig)
        if os.pathsep not in kubeconfig and not os.path.exists(path):
            raise KubeError("kubeconfig file %s does not exist" % kubeconfig)
        auth["kubeconfig"] = path
    try:
        # The configuration step of kubernetes.core's get_api_client, without its API discovery
        # (two extra round trips this collection never needs).
        spec = k8s_client._create_auth_spec(None, **auth)
        configuration = k8s_client._create_configuration(spec)
        client = kubernetes.client.ApiClient(configuration)
        for header, value in k8s_client._create_headers(None, **auth).items():
            k8s_client._set_header(client, header, value)
    except Exception as exc:  # kubernetes.config raises several types
        raise KubeError(config_error_text(str(exc), auth))
    return PackageClient(client)


class PackageClient:
    """The kubernetes package's ApiClient behind the same request() as kube_http.HttpClient."""

    def __init__(self, client):
        self._client = client
        self.host = client.configuration.host

    def request(self, method, path, query=None, body=None, timeout=REQUEST_TIMEOUT,
                accept="application/json", content_type="application/json"):
        from kubernetes.client.rest import ApiException
        import urllib3

        headers = {"Accept": accept}
        if body is not None:
            headers["Content-Type"] = content_type
        request = dict(query_params=list((query or {}).items()), header_params=headers, body=body,
                       auth_settings=["BearerToken"])
        try:
            if hasattr(self._client, "param_serialize"):
                # kubernetes >= 37 (its newer generator): param_serialize builds the request,
                # call_api sends it and returns the response whatever its status, as the
                # package's DynamicClient uses them.
                resp = self._client.call_api(*self._client.param_serialize(method, path, **request),
                                             _request_timeout=timeout)
                data = resp.read()
                if not 200 <= resp.status <= 299:
                    raise ApiError(resp.status, resp.reason, (data or b"").decode("utf-8", "replace"))
                return data
            # kubernetes < 37: call_api builds, sends and (non-2xx) raises in one call
            resp = self._client.call_api(path, method, _preload_content=False, _request_timeout=timeout,
                                         **request)
            return (resp[0] if isinstance(resp, tuple) else resp).data
        except ApiException as exc:
            raise ApiError(exc.status or 0, exc.reason, exc.body if isinstance(exc.body, str) else "")
        except urllib3.exceptions.HTTPError as exc:
            raise ApiError(0, str(exc))


def get_json(client, path, query=None, timeout=REQUEST_TIMEOUT):
    """GET an API path and return the decoded JSON (a dict), or None when it is 404."""
    try:
        data = client.request("GET", path, query=query, timeout=timeout)
    except ApiError as exc:
        if exc.status == 404:
            return None
        raise
    return json.loads(data)


def call_json(client, method, path, body=None, query=None, timeout=REQUEST_TIMEOUT, content_type="application/json"):
    data = client.request(method, path, query=query, body=body, timeout=timeout, content_type=content_type)
    return json.loads(data) if data else {}


def pod_log(client, namespace, name, timeout=REQUEST_TIMEOUT, query=None):
    """A pod's log; query: the API's options (container, tailLines, previous, limitBytes)."""
    data = client.request("GET", "/api/v1/namespaces/%s/pods/%s/log" % (namespace, name), query=query,
                          timeout=timeout, accept="application/json, */*")
    return data.decode("utf-8", "replace")
