# -*- coding: utf-8 -*-
# Copyright: kubeha maintainers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
"""Run this collection's modules inside Ansible's worker process when the task runs on the
controller itself.

A host of this collection is a cluster driven from the controller (``ansible_connection:
local``). Every module run there still costs a new Python process that unpacks and compiles
ansible's module_utils again: about 0.3 s of CPU before the module does anything, for a preflight
read that takes 0.2 s. The modules of this collection need nothing of that separate process, so
when the task runs locally with the controller's own Python their code runs here: the same
argument spec validation (``ArgumentSpecValidator``, the engine of ``AnsibleModule``), the same
``main()``, the same result. Anything else (another connection, another interpreter, a task
``environment`` or ``async``) runs the module the usual way.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import shlex
import shutil
import subprocess
import sys
import traceback

from ansible.module_utils.common.arg_spec import ArgumentSpecValidator
from ansible.module_utils.errors import UnsupportedError
from ansible.module_utils.common.parameters import remove_values
from ansible.plugins.action.normal import ActionModule as NormalAction


class ModuleExit(BaseException):
    """exit_json()/fail_json() of a module run in-process: ends main() with its result. Not an
    Exception, as AnsibleModule's SystemExit is not: a module's `except Exception` lets it pass."""

    def __init__(self, result):
        super(ModuleExit, self).__init__(result.get("msg", ""))
        self.result = result


class InProcessModule(object):
    """The part of AnsibleModule's interface that this collection's modules use."""

    def __init__(self, argument_spec, args, name, check_mode=False, diff=False,
                 supports_check_mode=True, mutually_exclusive=None, required_if=None,
                 required_together=None, required_one_of=None, required_by=None):
        self._warnings = []
        self.check_mode = check_mode
        self._diff = diff
        validator = ArgumentSpecValidator(
            argument_spec, mutually_exclusive=mutually_exclusive, required_if=required_if,
            required_together=required_together, required_one_of=required_one_of,
            required_by=required_by,
        )
        validated = validator.validate(args)
        self._no_log_values = validated._no_log_values
        self._warnings.extend("Both option %(option)s and its alias %(alias)s are set." % w
                              for w in validated._warnings)
        if validated.error_messages:
            # AnsibleModule's wording, so a wrong argument reads the same wherever it runs.
            msg = validated.errors.msg
            if isinstance(validated.errors[0], UnsupportedError):
                msg = "Unsupported parameters for (%s) module: %s" % (name, msg)
            self.fail_json(msg=msg)
        if check_mode and not supports_check_mode:
            self.exit_json(skipped=True, msg="remote module (%s) does not support check mode" % name)
        self.params = validated.validated_parameters

    def _result(self, result):
        if self._warnings:
            result["warnings"] = list(self._warnings)
        result["invocation"] = dict(
            module_args=remove_values(getattr(self, "params", {}), self._no_log_values))
        return remove_values(result, self._no_log_values)

    def exit_json(self, **result):
        result.setdefault("changed", False)
        raise ModuleExit(self._result(result))

    def fail_json(self, msg, **result):
        result.update(failed=True, msg=msg)
        raise ModuleExit(self._result(result))

    def warn(self, warning):
        self._warnings.append(warning)

    def get_bin_path(self, name, required=False, opt_dirs=None):
        path = shutil.which(name, path=os.pathsep.join(
            (opt_dirs or []) + [os.environ.get("PATH", os.defpath), "/sbin", "/usr/sbin", "/usr/local/sbin"]))
        if required and not path:
            self.fail_json(msg="Failed to find required executable %s" % name)
        return path

    def run_command(self, args, check_rc=False, data=None, environ_update=None):
        if isinstance(args, str):
            args = shlex.split(args)
        env = dict(os.environ, **(environ_update or {}))
        proc = subprocess.run(args, input=data, env=env, capture_output=True, text=True,
                              check=False)
        if check_rc and proc.returncode != 0:
            self.fail_json(msg=(proc.stderr or proc.stdout).strip(), rc=proc.returncode,
                           stdout=proc.stdout, stderr=proc.stderr, cmd=args)
        return proc.returncode, proc.stdout, proc.stderr


class InProcessAction(NormalAction):
    """Action plugin of a module (``module`` attribute, with ``main(module_class)``); where it
    cannot run here, ansible's own action for modules runs it."""

    module = None

    def _runs_here(self, task_vars):
        if self._connection.transport != "local" or self._task.async_val:
            return False
        # Variables set by a task's `environment` reach a module's process only.
        if any(self._task.environment or []):
            return False
        interpreter = task_vars.get("ansible_python_interpreter")
        if interpreter is None:
            return True
        interpreter = self._templar.template(interpreter)
        # The path as given: a virtualenv's python is a link to a python without its packages.
        return os.path.abspath(str(interpreter)) == os.path.abspath(sys.executable)

    def run(self, tmp=None, task_vars=None):
        task_vars = task_vars or {}
        if not self._runs_here(task_vars):
            return super(InProcessAction, self).run(tmp, task_vars)
        result = super(NormalAction, self).run(tmp, task_vars)  # ActionBase's checks only

        def module_class(argument_spec, **kwargs):
            return InProcessModule(argument_spec, dict(self._task.args), self._task.resolved_action,
                                   check_mode=self._task.check_mode,
                                   diff=self._task.diff, **kwargs)

        try:
            self.module.main(module_class=module_class)
            outcome = dict(failed=True, msg="%s returned no result" % self._task.resolved_action)
        except ModuleExit as done:
            outcome = done.result
        except Exception as exc:  # a defect in the module: what AnsibleModule's process would say
            outcome = dict(failed=True, msg="%s failed: %s: %s" % (
                self._task.resolved_action, type(exc).__name__, exc), exception=traceback.format_exc())
        result.update(outcome)
        return result
