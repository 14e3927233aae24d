# -*- coding: utf-8 -*-
# Copyright: kubeha maintainers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
"""kubeha.webapp.http_check runs in Ansible's worker process on the controller (see
plugins/plugin_utils/in_process.py), as a module elsewhere."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.kubeha.webapp.plugins.modules import http_check
from ansible_collections.kubeha.webapp.plugins.plugin_utils.in_process import InProcessAction


class ActionModule(InProcessAction):
    module = http_check
