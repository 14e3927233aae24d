# -*- coding: utf-8 -*-
# Copyright: kubeha maintainers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
"""The action plugin of every kubeha.webapp module: the action plugin of each other module is a
link to this file (as in kubernetes.core; a redirect in meta/runtime.yml would make ansible-lint
call this file's name the canonical name of every module). It runs the task's module in Ansible's
worker process on the controller (see plugins/plugin_utils/in_process.py), as a module
elsewhere."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import importlib

from ansible_collections.kubeha.webapp.plugins.plugin_utils.in_process import InProcessAction

MODULES = "ansible_collections.kubeha.webapp.plugins.modules"


class ActionModule(InProcessAction):
    def module_code(self):
        # The module the task names, found as ansible finds it to run it as a module: a short name
        # under `collections:` or a module redirect resolve to kubeha.webapp.<name>.
        found = self._shared_loader_obj.module_loader.find_plugin_with_context(
            self._task.action, collection_list=self._task.collections)
        if not found.resolved:
            return None
        collection, name = found.resolved_fqcn.rsplit(".", 1)
        if collection != "kubeha.webapp":
            return None
        return importlib.import_module("%s.%s" % (MODULES, name))
