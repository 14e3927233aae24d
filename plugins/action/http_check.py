# -*- coding: utf-8 -*-
# Copyright: kubeha maintainers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
"""The action plugin of every kubeha.webapp module: meta/runtime.yml routes the action of each of
the others here (ansible-test wants an action plugin to bear the name of a module, hence this
file's). It runs the task's module in Ansible's worker process on the controller (see
plugins/plugin_utils/in_process.py), as a module elsewhere."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import importlib

from ansible_collections.kubeha.webapp.plugins.plugin_utils.in_process import InProcessAction

MODULES = "ansible_collections.kubeha.webapp.plugins.modules"


class ActionModule(InProcessAction):
    def module_code(self):
        # The module the task names, found as ansible finds it to run it as a module: a short name
        # under `collections:` or a module redirect resolve to kubeha.webapp.<name>. (The task's
        # resolved_action names this action plugin, where meta/runtime.yml routed it.)
        found = self._shared_loader_obj.module_loader.find_plugin_with_context(
            self._task.action, collection_list=self._task.collections)
        collection, _, name = found.resolved_fqcn.rpartition(".")
        if not found.resolved or collection != "kubeha.webapp":
            return None
        return importlib.import_module("%s.%s" % (MODULES, name))
