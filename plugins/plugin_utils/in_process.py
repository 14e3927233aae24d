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

import inspect
import os
import shlex
import subprocess
import sys
import traceback

from ansible.module_utils.common.arg_spec import ArgumentSpecValidator
from ansible.module_utils.errors import UnsupportedError
from ansible.module_utils.common.parameters import remove_values
from ansible.module_utils.common.process import get_bin_path
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
        self._cleanup_files = []
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

    @property
    def no_log_values(self):
        # AnsibleModule's public name: kubernetes.core >= 6.6 adds a kubeconfig's secrets to it.
        return self._no_log_values

    def _result(self, result):
        # AnsibleModule removes the files a module asked it to before it answers.
        self.do_cleanup_files()
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

    def add_cleanup_file(self, path):
        if path not in self._cleanup_files:
            self._cleanup_files.append(path)

    def do_cleanup_files(self):
        while self._cleanup_files:
            path = self._cleanup_files.pop()
            if os.path.exists(path):
                os.unlink(path)

    def get_bin_path(self, name, required=False, opt_dirs=None):
        # AnsibleModule's own search: the same directories, the same message when it is missing.
        try:
            return get_bin_path(name, opt_dirs=opt_dirs)
        except ValueError as exc:
            if required:
                self.fail_json(msg=str(exc))
        return None

    def run_command(self, args, check_rc=False, data=None, binary_data=False, cwd=None,
                    environ_update=None, expand_user_and_vars=True):
        """AnsibleModule.run_command without a shell: a string is split as a shell would, ``~``
        and ``$VARS`` are expanded, data gets its newline, a command that cannot start fails the
        task ("Error executing command.") and check_rc fails it with the command's stderr."""
        if isinstance(args, str):
            args = shlex.split(args)
        if expand_user_and_vars:
            args = [os.path.expanduser(os.path.expandvars(a)) for a in args if a is not None]
        if data and not binary_data:
            data += "\n"
        env = dict(os.environ, **(environ_update or {}))
        # Like AnsibleModule, a cwd that is no directory is ignored.
        cwd = cwd and os.path.abspath(os.path.expanduser(cwd))
        try:
            # A module's own stdin is Ansible's pipe, already read: what it runs reads nothing either.
            proc = subprocess.run(args, input=data or None, stdin=None if data else subprocess.DEVNULL,
                                  env=env, cwd=cwd if cwd and os.path.isdir(cwd) else None,
                                  capture_output=True, text=True, encoding="utf-8",
                                  errors="surrogateescape", check=False)
        except OSError as exc:
            self.fail_json(msg="Error executing command.", rc=exc.errno, stdout="", stderr="",
                           cmd=shlex.join(args), exception=traceback.format_exc())
        if check_rc and proc.returncode != 0:
            self.fail_json(msg=proc.stderr.rstrip(), rc=proc.returncode, stdout=proc.stdout,
                           stderr=proc.stderr, cmd=shlex.join(args))
        return proc.returncode, proc.stdout, proc.stderr


class InProcessAction(NormalAction):
    """Action plugin of modules whose ``main()`` takes a ``module_class``: runs the task's module
    here when it can (``module_code()`` names its Python module), otherwise ansible's own action
    for modules runs it."""

    def module_code(self):
        """The Python module of the task's module (None: run it as a module)."""
        raise NotImplementedError

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
        code = self._runs_here(task_vars) and self.module_code()
        # A main() that builds its AnsibleModule itself can only run as a module.
        if not code or "module_class" not in inspect.signature(code.main).parameters:
            return super(InProcessAction, self).run(tmp, task_vars)
        result = super(NormalAction, self).run(tmp, task_vars)  # ActionBase's checks only
        name = self._task.action  # as AnsibleModule names it in its messages
        made = []

        def module_class(argument_spec, **kwargs):
            made.append(InProcessModule(argument_spec, dict(self._task.args), name,
                                        check_mode=self._task.check_mode, diff=self._task.diff,
                                        **kwargs))
            return made[-1]

        try:
            code.main(module_class=module_class)
            outcome = dict(failed=True, msg="%s returned no result" % name)
        except ModuleExit as done:
            outcome = done.result
        except Exception as exc:  # a defect in the module: what AnsibleModule's process would say
            outcome = dict(failed=True, msg="%s failed: %s: %s" % (name, type(exc).__name__, exc),
                           exception=traceback.format_exc())
        finally:
            for module in made:
                module.do_cleanup_files()
        result.update(outcome)
        return result
