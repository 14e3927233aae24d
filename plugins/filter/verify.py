# -*- coding: utf-8 -*-
# Copyright: kubeha maintainers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
"""Filters of the verify role (the rules: plugins/module_utils/verify_plan.py).

verify_plan(live, settings)              which checks run and which endpoints each one requests
verify_preview_plan(live, settings)      the gateway check of an upgrade's preview route
verify_results(plan, replicas, incluster, controller, selfheal)
                                         one result per check: {result: ok|FAILED|not run, detail}
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.kubeha.webapp.plugins.module_utils.verify_plan import (
    preview_plan,
    replicas_live,
    verify_plan,
    verify_results,
)


class FilterModule(object):
    def filters(self):
        return {"verify_plan": verify_plan, "verify_results": verify_results,
                "verify_replicas_live": replicas_live, "verify_preview_plan": preview_plan}
