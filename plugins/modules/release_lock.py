#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: kubeha maintainers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: release_lock
short_description: One operation at a time per release - a Lease taken, renewed and given back
version_added: 1.0.0
description:
  - Takes (I(state=present)) or gives back (I(state=absent)) the release's lock, the
    C(coordination.k8s.io/v1) Lease C(kubeha-lock-RELEASE) in the release's namespace.
  - When another run holds it, waits up to I(wait) seconds, then fails naming the holder (which
    run, which play, which cluster, since when).
  - While the run lasts a small process beside it renews the Lease every third of
    I(lease_duration); it stops when the Lease is given back or when I(owner_pid) ends. A run
    that was killed leaves its Lease unrenewed, and another run takes it over once this client
    has seen it unchanged for its duration (client-go's rule, which compares no clocks).
  - Giving back fails when the Lease is no longer this run's (it expired while the run lasted,
    and another run may have changed the release since).
  - Needs C(get), C(create), C(update) and C(delete) on C(leases) in the namespace.
  - In check mode nothing is written; the result says who holds the lock, if anyone.
  - Runs on the controller (a cluster host of this collection is C(ansible_connection=local)).
extends_documentation_fragment:
  - kubeha.webapp.options.k8s_auth
options:
  release_name:
    description: Helm release the lock is for.
    type: str
    required: true
  release_namespace:
    description: Namespace of the release; the Lease lives there.
    type: str
    required: true
  state:
    description: C(present) takes the lock, C(absent) gives it back.
    type: str
    choices: [present, absent]
    default: present
  holder:
    description:
      - Who holds the lock; the same text takes and gives back. Default names the controller
        user, host and the owner process.
    type: str
  play:
    description: Name of the play, shown to the runs that wait.
    type: str
    default: ""
  cluster:
    description: Inventory host (the cluster), shown to the runs that wait.
    type: str
    default: ""
  operation:
    description: The operation (install, upgrade, ...), shown to the runs that wait.
    type: str
    default: ""
  wait:
    description: Seconds to wait while another run holds the lock.
    type: int
    default: 120
  lease_duration:
    description: Seconds the Lease stays this run's without a renewal.
    type: int
    default: 30
  poll_interval:
    description: Seconds between two reads while waiting.
    type: float
    default: 1.0
  renewer_pid:
    description:
      - With I(state=absent), the renewer this run's C(state=present) started (its
        I(renewer_pid)); it is stopped before the Lease is deleted, so that no renewal recreates it.
    type: int
  owner_pid:
    description:
      - Process whose end ends the renewals. Default the parent of the process running the
        module (ansible-playbook, when the module runs in Ansible's worker as it does on the
        controller).
    type: int
author:
  - kubeha maintainers (@kubeha)
"""

EXAMPLES = r"""
- name: Take the release's lock
  kubeha.webapp.release_lock:
    release_name: webapp
    release_namespace: webapp
    play: "{{ ansible_play_name }}"
    cluster: "{{ inventory_hostname }}"
  register: lock

- name: Give it back
  kubeha.webapp.release_lock:
    release_name: webapp
    release_namespace: webapp
    holder: "{{ lock.holder }}"
    renewer_pid: "{{ lock.renewer_pid }}"
    state: absent
"""

RETURN = r"""
held:
  description: Whether this run holds the lock now (state=present) or held it until it gave it back.
  returned: always
  type: bool
holder:
  description: The holder identity written in the Lease.
  returned: always
  type: str
lease:
  description: Name of the Lease.
  returned: always
  type: str
waited:
  description: Seconds spent waiting for another run.
  returned: state=present
  type: float
waited_for:
  description: The run waited for (holder, play, cluster, since when), or null.
  returned: state=present
  type: str
took_over:
  description: The run whose expired Lease this one took over, or null.
  returned: state=present
  type: str
renewer_pid:
  description: The process renewing the Lease (give it to I(state=absent)).
  returned: state=present and held
  type: int
namespace_absent:
  description: The namespace does not exist yet, so there is nothing to lock (a first install).
  returned: state=present
  type: bool
"""

import getpass
import os
import socket

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.kubeha.webapp.plugins.module_utils import lease_api, lease_renewer
from ansible_collections.kubeha.webapp.plugins.module_utils.kube_client import api_client
from ansible_collections.kubeha.webapp.plugins.module_utils.kube_errors import describe_error
from ansible_collections.kubeha.webapp.plugins.module_utils.lease import holder_text, lease_name, refusal
from ansible_collections.kubeha.webapp.plugins.module_utils.options import K8S_AUTH_OPTIONS, argument_spec


def default_holder(owner_pid):
    return "%s@%s pid %d" % (getpass.getuser(), socket.gethostname(), owner_pid)


def take(module, client, p, holder, details):
    if module.check_mode:
        live = lease_api.read(client, p["release_namespace"], p["release_name"])
        held_by = holder_text(live) if live and live["spec"].get("holderIdentity") else None
        return dict(changed=False, held=False, waited=0.0, waited_for=held_by, took_over=None,
                    namespace_absent=False,
                    msg=("check mode: the lock is not taken; held now by %s" % held_by) if held_by
                    else "check mode: the lock is not taken; nobody holds it")
    got = lease_api.acquire(client, p["release_namespace"], p["release_name"], holder, details,
                            p["lease_duration"], p["wait"], poll=p["poll_interval"])
    if got["namespace_absent"]:
        return dict(changed=False, held=False, waited=got["waited"], waited_for=None, took_over=None,
                    namespace_absent=True,
                    msg="namespace %s does not exist yet: nothing to lock" % p["release_namespace"])
    if not got["held"]:
        module.fail_json(msg=refusal(p["release_name"], p["release_namespace"], got["lease"], got["waited"]),
                         held=False, holder=holder, lease=lease_name(p["release_name"]),
                         waited=got["waited"], waited_for=got["waited_for"], took_over=None,
                         namespace_absent=False)
    auth = dict((k, p.get(k)) for k in K8S_AUTH_OPTIONS)
    job = dict(auth=auth, namespace=p["release_namespace"], release=p["release_name"], holder=holder,
               details=details, duration=p["lease_duration"], owner_pid=p["owner_pid"])
    renewer = lease_renewer.start(job)
    said = []
    if got["waited_for"]:
        said.append("waited %d s for %s" % (got["waited"], got["waited_for"]))
    if got["took_over"]:
        said.append("took over the expired lock of %s (not renewed for %d s: a run that ended without "
                    "giving it back)" % (got["took_over"], p["lease_duration"]))
    return dict(changed=True, held=True, waited=got["waited"], waited_for=got["waited_for"],
                took_over=got["took_over"], namespace_absent=False, renewer_pid=renewer,
                msg="; ".join(said) or "the lock was free")


def give_back(module, client, p, holder):
    if module.check_mode:
        return dict(changed=False, held=False, msg="check mode: no lock was taken")
    if p["renewer_pid"] and not lease_renewer.stop(p["renewer_pid"]):
        module.warn("the lock's renewer (pid %d) did not stop within 10 s" % p["renewer_pid"])
    out = lease_api.release(client, p["release_namespace"], p["release_name"], holder)
    if out["lost"]:
        module.fail_json(
            msg="this run's lock on release %s in namespace %s expired while it ran and is now %s: another "
                "run may have changed the release since; read its state before trusting this run's result"
                % (p["release_name"], p["release_namespace"], "held by " + holder_text(out["lease"])),
            held=False, holder=holder, lease=lease_name(p["release_name"]))
    return dict(changed=out["released"], held=True,
                msg="the lock was given back" if out["released"] else "the lock was gone (its namespace deleted)")


def main(module_class=AnsibleModule):
    spec = argument_spec(
        K8S_AUTH_OPTIONS,
        release_name=dict(type="str", required=True),
        release_namespace=dict(type="str", required=True),
        state=dict(type="str", choices=["present", "absent"], default="present"),
        holder=dict(type="str"),
        play=dict(type="str", default=""),
        cluster=dict(type="str", default=""),
        operation=dict(type="str", default=""),
        wait=dict(type="int", default=120),
        lease_duration=dict(type="int", default=30),
        poll_interval=dict(type="float", default=1.0),
        owner_pid=dict(type="int"),
        renewer_pid=dict(type="int"),
    )
    module = module_class(argument_spec=spec, supports_check_mode=True)
    p = module.params
    for key in ("wait", "lease_duration"):
        if p[key] < (0 if key == "wait" else 3):
            module.fail_json(msg="%s must be at least %d, got %d" % (key, 0 if key == "wait" else 3, p[key]))
    if p["owner_pid"] is None:
        p["owner_pid"] = os.getppid()
    holder = p["holder"] or default_holder(p["owner_pid"])
    details = dict(play=p["play"], cluster=p["cluster"], operation=p["operation"],
                   controller=default_holder(p["owner_pid"]))
    client = None
    try:
        client = api_client(module)
        if p["state"] == "present":
            result = take(module, client, p, holder, details)
        else:
            result = give_back(module, client, p, holder)
    except Exception as exc:  # API errors and a kubeconfig that cannot be used, said in one line
        module.fail_json(msg=describe_error(exc, client, "%s the lock of release %s in namespace %s" % (
            "taking" if p["state"] == "present" else "giving back", p["release_name"], p["release_namespace"])),
            held=False, holder=holder, lease=lease_name(p["release_name"]))
    module.exit_json(holder=holder, lease=lease_name(p["release_name"]), **result)


if __name__ == "__main__":
    main()
