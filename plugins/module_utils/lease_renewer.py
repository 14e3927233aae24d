# -*- coding: utf-8 -*-
# Copyright: kubeha maintainers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
"""The process that keeps a run's release lock alive while the run lasts.

An Ansible task ends when its module returns, but the lock must be renewed through the whole
play (a rollout can take minutes). release_lock therefore starts this process beside the play: it
renews the Lease every third of its duration while the owner process (ansible-playbook) lives,
and ends when the Lease is given back or taken. When the owner dies without giving it back (a
killed run), it stops renewing and the Lease expires by itself: it is never deleted here, as
helm may still be running under the dead run."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import signal
import subprocess
import sys
import time

from ansible_collections.kubeha.webapp.plugins.module_utils.kube_client import api_client
from ansible_collections.kubeha.webapp.plugins.module_utils import lease_api

# Seconds between two looks at the owner process.
OWNER_POLL = 1.0


def alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie (dead, not yet reaped by its parent) still answers kill(0).
    try:
        with open("/proc/%d/stat" % pid) as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return True


class _Connection(object):
    """What kube_client.api_client reads of a module: its connection options."""

    def __init__(self, params):
        self.params = params

    def fail_json(self, msg, **_kw):
        raise RuntimeError(msg)


class _Stop(object):
    """Set by SIGTERM (the run giving the lock back): the loop ends between two requests, so that
    no renewal is in flight when the Lease is deleted (a Lease update creates a missing Lease)."""
    requested = False

    @classmethod
    def request(cls, *_args):
        cls.requested = True


def run(job, clock=time.monotonic, sleep=time.sleep):
    client = api_client(_Connection(job["auth"]))
    interval = max(1.0, job["duration"] / 3.0)
    next_renewal = clock() + interval
    while alive(job["owner_pid"]) and not _Stop.requested:
        if clock() >= next_renewal:
            try:
                if not lease_api.renew(client, job["namespace"], job["release"], job["holder"],
                                       job["details"], job["duration"]):
                    return "given back or taken"
            except Exception:  # an API hiccup: try again soon; the Lease outlives a few misses
                next_renewal = clock() + 1.0
            else:
                next_renewal = clock() + interval
        sleep(OWNER_POLL)
    return "stopped" if _Stop.requested else "owner ended"


def is_renewer(pid):
    try:
        with open("/proc/%d/cmdline" % pid, "rb") as cmdline:
            return __name__.encode() in cmdline.read()
    except OSError:
        return False


def stop(pid, timeout=10.0, clock=time.monotonic, sleep=time.sleep):
    """Stop the renewer `pid` and wait until it has ended (True), or `timeout` passed (False)."""
    if not is_renewer(pid):
        return True  # ended already (or the pid is another process's now)
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return True
    deadline = clock() + timeout
    while alive(pid):
        if clock() >= deadline:
            return False
        sleep(0.05)
    return True


def collection_root(module_file):
    """The directory that holds ansible_collections/ (a folder or a module's zip payload)."""
    parts = os.path.abspath(module_file).split(os.sep)
    return os.sep.join(parts[:len(parts) - 1 - parts[::-1].index("ansible_collections")])


def start(job, python=sys.executable):
    """Start the renewer for `job` (dict: auth, namespace, release, holder, details, duration,
    owner_pid) in a session of its own, so that a signal to the run's process group (Ctrl-C)
    reaches it only through its owner's end. Returns its pid once it has loaded its code."""
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        collection_roots() + ([os.environ["PYTHONPATH"]] if os.environ.get("PYTHONPATH") else [])))
    proc = subprocess.Popen([python, "-m", __name__], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, env=env, start_new_session=True, close_fds=True)
    proc.stdin.write(json.dumps(job).encode("utf-8"))
    proc.stdin.close()
    ready = proc.stdout.readline().strip()
    proc.stdout.close()
    if ready != b"ready":
        try:
            said = proc.communicate(timeout=10)[1].decode("utf-8", "replace").strip().splitlines()
        except subprocess.TimeoutExpired:
            proc.kill()
            said = []
        raise RuntimeError("the lock renewer did not start (python %s): %s"
                           % (python, said[-1] if said else "no error printed"))
    proc.stderr.close()
    return proc.pid


def collection_roots():
    """Every directory from which this process loaded a collection's code (this collection and
    kubernetes.core may come from different collection paths): the renewer's PYTHONPATH."""
    roots = []
    for name, loaded in list(sys.modules.items()):
        path = getattr(loaded, "__file__", None)
        if name.startswith("ansible_collections.") and path and "ansible_collections" in path.split(os.sep):
            root = collection_root(path)
            if root not in roots:
                roots.append(root)
    return roots


def main():
    signal.signal(signal.SIGTERM, _Stop.request)
    job = json.loads(sys.stdin.read())
    sys.stdout.write("ready\n")
    sys.stdout.flush()
    # Its starter stops reading: nothing more goes to the pipes (a write would fail).
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    os.dup2(devnull, 2)
    run(job)


if __name__ == "__main__":
    main()
