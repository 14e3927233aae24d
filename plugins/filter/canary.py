# -*- coding: utf-8 -*-
# Copyright: kubeha maintainers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
"""The canary strategy of the upgrade role, as filters over plugins/module_utils/canary_release.py
and canary_plan.py (the rules live there, with their unit tests in tests/unit):

canary_errors(live, plan, settings)           why a canary upgrade may not start, each naming its setting
canary_phases(live, plan, settings, release)  the values and history description of every revision
canary_in_progress(live)                      the canary a release runs (a run stopped mid-way), or None
canary_abort(live, what)                      the two revisions of an abort: weight 0, then removed
canary_route_patch(route, canary_service)     the JSON patch that takes every request off the canary
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.kubeha.webapp.plugins.module_utils import canary_release


def canary_in_progress(live):
    return canary_release.in_progress(live)


def canary_abort(live, what="the canary"):
    return canary_release.abort(live, what)


class FilterModule(object):
    def filters(self):
        return {
            "canary_errors": canary_release.errors,
            "canary_phases": canary_release.phases,
            "canary_in_progress": canary_in_progress,
            "canary_abort": canary_abort,
            "canary_route_patch": canary_release.route_patch,
        }
