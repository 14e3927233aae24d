# -*- coding: utf-8 -*-
# Copyright: kubeha maintainers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
"""The result of the endpoint check modules (http_check, incluster_check), which names every
endpoint that never gave the expected answer (their options: options.ENDPOINT_CHECK_OPTIONS)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type


def expectation(params):
    """The answer every endpoint must give, in words."""
    want = "status %s" % params["expected_status"]
    if params["expected_body"]:
        want += " with body containing %r" % params["expected_body"]
    return want


def exit_with_results(module, results, describe, **extra):
    """Exit with one result per endpoint. The task fails naming every endpoint that never passed,
    unless fail_on_error is false: then their descriptions are returned as messages."""
    failed = [r for r in results if not r["ok"]]
    out = dict(changed=False, results=results, failed_endpoints=[r["name"] for r in failed], **extra)
    messages = [describe(r, module.params) for r in failed]
    if messages and module.params["fail_on_error"]:
        module.fail_json(msg="; ".join(messages), **out)
    module.exit_json(messages=messages, **out)
