#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: kubeha maintainers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: route_status
short_description: Wait until the Gateways an HTTPRoute names have judged it, and say what they said
version_added: 1.0.0
description:
  - Reads HTTPRoutes (C(gateway.networking.k8s.io/v1)) until every Gateway named by each route's
    C(parentRefs) has set its conditions for the route's current generation in
    C(status.parents), or I(timeout) seconds pass.
  - Returns at once when each Gateway has answered, whether it accepted the route or not. A route
    a Gateway refused (C(Accepted=False), e.g. reason C(NotAllowedByListeners)) will not be
    accepted by waiting, so the caller learns it without spending a retry budget.
  - Needs only C(get) on HTTPRoutes in I(namespace), nothing on Gateways.
  - Read-only; supports check mode.
extends_documentation_fragment:
  - kubeha.webapp.options.k8s_auth
options:
  namespace:
    description: Namespace of the routes.
    type: str
    required: true
  names:
    description: Names of the HTTPRoutes.
    type: list
    elements: str
    required: true
  timeout:
    description: Seconds to wait for every Gateway's judgement.
    type: int
    default: 30
  poll_interval:
    description: Seconds between two reads.
    type: float
    default: 0.5
  fail_on_error:
    description:
      - Fail when a route is missing, was not judged in time or was not accepted. When false, the
        result carries the same in I(refusals) and the task succeeds.
    type: bool
    default: true
author:
  - kubeha maintainers (@kubeha)
"""

EXAMPLES = r"""
- name: Every Gateway took the route
  kubeha.webapp.route_status:
    namespace: webapp
    names: [webapp]
    timeout: 30
"""

RETURN = r"""
routes:
  description: >-
    One entry per route - name, generation, hostnames, parent_refs and parents (each Gateway's
    conditions: type, status, reason, message, observed_generation).
  returned: always
  type: list
  elements: dict
settled:
  description: Whether every Gateway judged the current generation of every route.
  returned: always
  type: bool
refusals:
  description: >-
    One line per Gateway that did not accept a route or did not judge it in time, naming the
    condition, its reason and message.
  returned: always
  type: list
  elements: str
"""

import time

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.kubeha.webapp.plugins.module_utils.kube_client import api_client, get_json
from ansible_collections.kubeha.webapp.plugins.module_utils.kube_errors import describe_error
from ansible_collections.kubeha.webapp.plugins.module_utils.options import K8S_AUTH_OPTIONS, argument_spec
from ansible_collections.kubeha.webapp.plugins.module_utils.routes import (
    HTTPROUTE_PATH,
    route_refusals,
    route_settled,
    route_view,
)


def read_routes(client, namespace, names):
    views, missing = [], []
    for name in names:
        route = get_json(client, HTTPROUTE_PATH % (namespace, name))
        if route is None:
            missing.append(name)
        else:
            views.append(route_view(route))
    return views, missing


def wait(client, namespace, names, timeout, poll_interval, clock=time.monotonic, sleep=time.sleep):
    deadline = clock() + timeout
    while True:
        views, missing = read_routes(client, namespace, names)
        settled = not missing and all(route_settled(v) for v in views)
        if settled or clock() >= deadline:
            refusals = ["HTTPRoute %s does not exist in namespace %s" % (n, namespace) for n in missing]
            for v in views:
                refusals.extend(route_refusals(v))
            return dict(routes=views, settled=settled, refusals=refusals)
        sleep(poll_interval)


def main(module_class=AnsibleModule):
    spec = argument_spec(
        K8S_AUTH_OPTIONS,
        namespace=dict(type="str", required=True),
        names=dict(type="list", elements="str", required=True),
        timeout=dict(type="int", default=30),
        poll_interval=dict(type="float", default=0.5),
        fail_on_error=dict(type="bool", default=True),
    )
    module = module_class(argument_spec=spec, supports_check_mode=True)
    p = module.params
    client = None
    try:
        client = api_client(module)
        result = wait(client, p["namespace"], p["names"], p["timeout"], p["poll_interval"])
    except Exception as exc:  # API errors and a kubeconfig that cannot be used, said in one line
        msg = describe_error(exc, client, "reading HTTPRoutes in namespace %s" % p["namespace"])
        if p["fail_on_error"]:
            module.fail_json(msg=msg, routes=[], settled=False, refusals=[msg])
        module.exit_json(changed=False, msg=msg, routes=[], settled=False, refusals=[msg])
    if result["refusals"] and p["fail_on_error"]:
        module.fail_json(msg="; ".join(result["refusals"]), changed=False, **result)
    module.exit_json(changed=False, **result)


if __name__ == "__main__":
    main()
