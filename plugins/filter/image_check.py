# -*- coding: utf-8 -*-
# Copyright: kubeha maintainers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
"""The pre-change registry check of a new image (rules: plugins/module_utils/image_check.py).

image_pull_secrets(values, setting)            the pull secrets the check asks with
image_check_refusal(result, setting, secrets)  why registry_image's answer refuses the change, or ''
with_checked_digest(values, live, digest)      the values with the checked digest in their changeCause
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.kubeha.webapp.plugins.module_utils import image_check


class FilterModule(object):
    def filters(self):
        return {
            "image_pull_secrets": image_check.pull_secret_names,
            "image_check_refusal": image_check.refusal,
            "with_checked_digest": image_check.with_checked_digest,
        }
