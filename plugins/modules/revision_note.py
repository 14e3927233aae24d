#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: kubeha maintainers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: revision_note
short_description: Set the description of a Helm release revision
version_added: 1.1.0
description:
  - Sets the description C(helm history) shows for one revision of a release, in that revision's
    record (the C(helm.sh/release.v1) Secret C(sh.helm.release.v1.<release>.v<revision>)); no
    new revision is made and nothing the release runs changes.
  - For the changes C(kubernetes.core.helm) makes, which cannot be given a description - the steps
    of a canary upgrade, for one, each saying what it did and what its analysis found.
  - The description is made one line and cut to the 256 characters helm accepts, with an
    ellipsis where it was cut.
  - Idempotent - the record is written only when its description differs. Check mode reports
    whether it would change without writing.
  - Needs only namespaced access to Secrets (get, list, update) in the release's namespace.
  - Connection options are those of kubernetes.core's helm modules, so C(module_defaults) for
    C(group/kubeha.webapp.helm) (which extends C(group/kubernetes.core.helm)) applies.
extends_documentation_fragment:
  - kubeha.webapp.options.helm
options:
  revision:
    description:
      - The revision to describe. C(0) - the current one (the highest revision of the release).
    type: int
    default: 0
  description:
    description:
      - The description. Whitespace, line breaks included, is folded to single spaces; text
        beyond 256 characters is cut.
    type: str
    required: true
requirements:
  - kubernetes >= 24.2.0, only for connection options beyond a kubeconfig and context (see
    module_utils/kube_http.py)
author:
  - kubeha maintainers (@kubeha)
"""

EXAMPLES = r"""
- name: Say what the canary step just applied did
  kubeha.webapp.revision_note:
    release_name: webapp
    release_namespace: webapp
    description: >-
      kubeha.webapp canary 1/3: 10% of traffic to reg/kubeha/web:v2;
      analysis pass: canary error rate 0.00% (0 of 312 requests), p99 41 ms

- name: Describe revision 7
  kubeha.webapp.revision_note:
    release_name: webapp
    release_namespace: webapp
    revision: 7
    description: hand-checked, kept as the baseline
"""

RETURN = r"""
revision:
  description: The revision described (the current one's number for I(revision=0)).
  returned: success
  type: int
  sample: 12
description:
  description: The description as written (on one line, cut to 256 characters).
  returned: success
  type: str
  sample: "kubeha.webapp canary 1/3: 10% of traffic to reg/kubeha/web:v2; analysis pass: ..."
previous:
  description: The description the revision had before.
  returned: success
  type: str
  sample: Upgrade complete
"""

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.kubeha.webapp.plugins.module_utils.helm_record import RecordMissing, set_description
from ansible_collections.kubeha.webapp.plugins.module_utils.helm_release import list_releases
from ansible_collections.kubeha.webapp.plugins.module_utils.kube_client import api_client
from ansible_collections.kubeha.webapp.plugins.module_utils.kube_errors import KubeError, describe_error
from ansible_collections.kubeha.webapp.plugins.module_utils.options import (
    HELM_AUTH_OPTIONS,
    HELM_RELEASE_OPTIONS,
    argument_spec,
)


def current_revision(client, namespace, release):
    """The highest stored revision of the release; RecordMissing when it has none."""
    releases = list_releases(client, namespace, release)
    if not releases:
        raise RecordMissing("release %s has no revision in namespace %s (no release record)" % (release, namespace))
    return int(releases[-1]["version"])


def main(module_class=AnsibleModule):
    spec = argument_spec(
        HELM_AUTH_OPTIONS,
        HELM_RELEASE_OPTIONS,
        revision=dict(type="int", default=0),
        description=dict(type="str", required=True),
    )
    module = module_class(argument_spec=spec, supports_check_mode=True)
    p = module.params
    release, namespace = p["release_name"], p["release_namespace"]
    if p["revision"] < 0:
        module.fail_json(msg="revision must be 0 (the current one) or a revision number, got %d" % p["revision"])
    if not (p["description"] or "").strip():
        module.fail_json(msg="description of release %s is empty" % release)

    client = None
    try:
        client = api_client(module)
        revision = p["revision"] or current_revision(client, namespace, release)
        note = set_description(client, namespace, release, revision, p["description"],
                               check_mode=module.check_mode)
    except KubeError as exc:
        module.fail_json(msg="cannot set the description of release %s: %s" % (release, exc))
    except Exception as exc:  # ApiError (a conflict: the record changed meanwhile) and transport errors
        module.fail_json(msg="cannot set the description of release %s revision %s: %s" % (
            release, p["revision"] or "current", describe_error(exc, client, "release record")))
    module.exit_json(**note)


if __name__ == "__main__":
    main()
