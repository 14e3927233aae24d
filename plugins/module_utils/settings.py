# -*- coding: utf-8 -*-
# Copyright: kubeha maintainers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
"""Every format rule of the roles' settings, once: ``errors(role, settings)``.

``settings`` maps variable names (``install_image_tag``, ``webapp_namespace``, ...) to their
values; the result lists one message per wrong setting, each naming the variable, so that a play
can refuse them all at once before it touches a cluster. Types and choices are the argument
specs' job (meta/argument_specs.yml); this holds what a spec cannot say.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import re

from ansible_collections.kubeha.webapp.plugins.module_utils import chart_source, images
from ansible_collections.kubeha.webapp.plugins.module_utils.apply_mode import SERVER_SIDE_CHOICES

DNS_LABEL_RE = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
# A Secret's name: a DNS subdomain (RFC 1123) of at most 253 characters.
DNS_SUBDOMAIN_RE = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
# verify's request path goes into a probe's shell command line and a URL.
REQUEST_PATH_RE = re.compile(r"^/[^ |]*$")


def is_dns_label(text, max_length=63):
    text = str(text if text is not None else "")
    return bool(DNS_LABEL_RE.match(text)) and len(text) <= max_length


def is_secret_name(text):
    text = str(text if text is not None else "")
    return bool(DNS_SUBDOMAIN_RE.match(text)) and len(text) <= 253


def _secret_names_errors(errors, s, name, none_allowed):
    """A list of Secret names (None too, when the setting has a default of its own)."""
    names = s.get(name)
    if names is None and none_allowed:
        return
    if not isinstance(names, (list, tuple)):
        errors.append("%s=%s must be a list of Secret names" % (name, _quoted(names)))
        return
    wrong = [str(n) for n in names if not is_secret_name(n)]
    if wrong:
        errors.append("%s: %s %s not a Secret name (lowercase letters, digits, - and .)"
                      % (name, ", ".join(_quoted(w) for w in wrong), "is" if len(wrong) == 1 else "are"))


def _int(value, default=None):
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


def _quoted(value):
    return json.dumps(value if value is not None else "")


def _at_least(errors, s, name, minimum, text=None):
    value = _int(s.get(name))
    if value is None or value < minimum:
        errors.append(text or "%s must be >= %d" % (name, minimum))


def _values(errors, s, name):
    """The chart values a setting holds; an error naming it when it is not a mapping (a string
    such as "service.type=NodePort" is not one: helm's --set syntax does not apply here)."""
    values = s.get(name)
    if values is None:
        return {}
    if not isinstance(values, dict):  # Ansible's own mappings are dict subclasses
        # Ansible hands over its own subclasses of str and list: name the plain type.
        kind = "str %s" % _quoted(values) if isinstance(values, str) else (
            "list" if isinstance(values, (list, tuple)) else type(values).__name__)
        errors.append("%s must be a dict of chart values (YAML mapping), got %s" % (name, kind))
        return {}
    return values


def _image_errors(errors, s, prefix, repository_required):
    repo, tag, digest = (s.get(prefix + k) or "" for k in ("repository", "tag", "digest"))
    if (repository_required or repo) and not images.is_repository(repo):
        errors.append("%srepository=%s is not an image repository%s" % (
            prefix, _quoted(repo), " (e.g. registry.example.com/team/app)" if repository_required else ""))
    if tag and not images.is_tag(tag):
        errors.append("%stag=%s is not an image tag (%s)" % (prefix, _quoted(tag), images.TAG_RULE))
    if digest and not images.is_digest(digest):
        errors.append("%sdigest=%s is not a digest (%s)" % (prefix, _quoted(digest), images.DIGEST_RULE))


def webapp_errors(s):
    errors = []
    for name, limit, what in (("webapp_release", 53, "a DNS label (lowercase letters, digits, -) of at most 53 characters"),
                              ("webapp_namespace", 63, "a DNS label of at most 63 characters")):
        if not is_dns_label(s.get(name), limit):
            errors.append("%s=%s must be %s" % (name, s.get(name), what))
    _at_least(errors, s, "webapp_rollout_timeout", 1, "webapp_rollout_timeout must be > 0")
    _at_least(errors, s, "webapp_rollout_unready_grace", 0)
    _at_least(errors, s, "webapp_rollout_max_restarts", 1)
    _at_least(errors, s, "webapp_api_outage_grace", 0)
    _at_least(errors, s, "webapp_history_max", 0)
    _at_least(errors, s, "webapp_lock_wait", 0)
    _at_least(errors, s, "webapp_lock_duration", 3)
    if "webapp_chart_ref" in s:
        errors.extend(chart_source.errors(s.get("webapp_chart_ref"), s.get("webapp_chart_version")))
    ca_file = s.get("webapp_chart_ca_file")
    if ca_file and not os.path.isfile(os.path.expanduser(str(ca_file))):
        errors.append("webapp_chart_ca_file=%s is not a file" % ca_file)
    if not s.get("webapp_kubeconfig"):
        errors.append("webapp_kubeconfig must not be empty")
    if "webapp_server_side" in s and str(s["webapp_server_side"]).lower() not in SERVER_SIDE_CHOICES:
        errors.append("webapp_server_side=%s must be one of %s" % (s["webapp_server_side"], ", ".join(SERVER_SIDE_CHOICES)))
    ca_file = s.get("webapp_registry_ca_file") or ""
    if ca_file and not os.path.isfile(os.path.expanduser(ca_file)):
        errors.append("webapp_registry_ca_file=%s does not exist on the controller or is not a file" % ca_file)
    if "webapp_image_pull_secrets" in s:
        _secret_names_errors(errors, s, "webapp_image_pull_secrets", none_allowed=True)
    return errors


def install_errors(s):
    errors = []
    _image_errors(errors, s, "install_image_", repository_required=True)
    if not (s.get("install_image_tag") or s.get("install_image_digest")):
        errors.append("set install_image_tag or install_image_digest")
    replicas = _int(s.get("install_replicas"))
    if replicas is None or replicas < 1:
        errors.append("install_replicas=%s must be 1 or more (scale.yml with scale_allow_zero=true stops every pod)"
                      % s.get("install_replicas"))
    values = _values(errors, s, "install_values")
    owned = [k for k in ("replicas", "changeCause") if k in values]
    owned += ["image." + k for k in ("repository", "tag", "digest") if k in (values.get("image") or {})]
    if owned:
        errors.append("install_values must not set %s (use install_replicas, install_image_*, install_change_cause)"
                      % ", ".join(owned))
    return errors


def upgrade_errors(s):
    errors = []
    if not (s.get("upgrade_image_tag") or s.get("upgrade_image_digest")):
        errors.append("set upgrade_image_tag or upgrade_image_digest (the new image)")
    _image_errors(errors, s, "upgrade_image_", repository_required=False)
    _at_least(errors, s, "upgrade_rollback_timeout", 1, "upgrade_rollback_timeout must be > 0")
    owned = [k for k in _values(errors, s, "upgrade_values") if k in ("replicas", "image", "changeCause")]
    if owned:
        errors.append("upgrade_values must not set %s (use upgrade_image_*, upgrade_change_cause, scale.yml)"
                      % ", ".join(owned))
    return errors


def scale_errors(s):
    replicas = _int(s.get("scale_replicas"), -1)
    prefix = "scale_replicas=%s: " % s.get("scale_replicas")
    if replicas < 0:
        return [prefix + "must be 0 or more"]
    if replicas == 0 and not s.get("scale_allow_zero"):
        return [prefix + "0 stops every pod of the app; set scale_allow_zero=true to do it"]
    if replicas > _int(s.get("scale_max_replicas"), 0):
        return [prefix + "more than scale_max_replicas=%s" % s.get("scale_max_replicas")]
    return []


def rollback_errors(s):
    revision = _int(s.get("rollback_revision"), -1)
    if revision < 0:
        return ["rollback_revision=%s must be 0 (the previous revision) or a revision number" % s.get("rollback_revision")]
    return []


def verify_errors(s):
    errors = []
    _at_least(errors, s, "verify_retries", 1, "verify_retries=%s must be 1 or more" % s.get("verify_retries"))
    _at_least(errors, s, "verify_delay", 0, "verify_delay=%s must be 0 or more" % s.get("verify_delay"))
    _at_least(errors, s, "verify_request_timeout", 1, "verify_request_timeout must be 1 or more")
    status = _int(s.get("verify_expected_status"), 0)
    if not 100 <= status <= 599:
        errors.append("verify_expected_status=%s is not an HTTP status" % s.get("verify_expected_status"))
    if not REQUEST_PATH_RE.match(str(s.get("verify_path") or "")):
        errors.append("verify_path=%s must start with / and hold no space or |" % _quoted(s.get("verify_path")))
    _at_least(errors, s, "verify_self_heal_timeout", 1, "verify_self_heal_timeout must be 1 or more")
    _at_least(errors, s, "verify_self_heal_max_failed_requests", 0,
              "verify_self_heal_max_failed_requests must be 0 or more")
    _at_least(errors, s, "verify_continuity_max_failed_requests", 0,
              "verify_continuity_max_failed_requests must be 0 or more")
    if not s.get("verify_client_image"):
        errors.append("verify_client_image must not be empty")
    _at_least(errors, s, "verify_gateway_status_timeout", 1, "verify_gateway_status_timeout must be 1 or more")
    for key in ("verify_gateway_http_port", "verify_gateway_https_port"):
        if key in s and not 0 <= _int(s.get(key), -1) <= 65535:
            errors.append("%s=%s must be a port (1-65535), or 0 to skip it" % (key, s.get(key)))
    return errors


def uninstall_errors(s):
    if not s.get("uninstall_confirm"):
        return ["uninstall_confirm is false: set uninstall_confirm=true to uninstall release %s from namespace %s"
                " of cluster %s" % (s.get("webapp_release"), s.get("webapp_namespace"), s.get("cluster"))]
    return []


def bootstrap_errors(s):
    errors = []
    if not is_dns_label(s.get("bootstrap_service_account")):
        errors.append("bootstrap_service_account=%s must be a DNS label" % s.get("bootstrap_service_account"))
    admin = s.get("bootstrap_admin_kubeconfig") or ""
    if not os.path.isfile(os.path.expanduser(admin)):
        errors.append("bootstrap_admin_kubeconfig=%s does not exist" % admin)
    if not s.get("bootstrap_kubeconfig_dest"):
        errors.append("bootstrap_kubeconfig_dest must not be empty")
    if "bootstrap_pull_secrets" in s:
        _secret_names_errors(errors, s, "bootstrap_pull_secrets", none_allowed=False)
    _registry_credentials_errors(errors, s.get("bootstrap_registry_credentials") or [])
    return errors


def _registry_credentials_errors(errors, credentials):
    """bootstrap_registry_credentials: [{name, registry, username, password}]; the messages
    never quote a username or a password."""
    name = "bootstrap_registry_credentials"
    if not isinstance(credentials, (list, tuple)):
        errors.append("%s must be a list of {name, registry, username, password}" % name)
        return
    for n, entry in enumerate(credentials):
        where = "%s[%d]" % (name, n)
        if not isinstance(entry, dict):
            errors.append("%s must be a mapping {name, registry, username, password}" % where)
            continue
        missing = [k for k in ("name", "registry", "username", "password") if not entry.get(k)]
        if missing:
            errors.append("%s lacks %s" % (where, ", ".join(missing)))
        if entry.get("name") and not is_secret_name(entry["name"]):
            errors.append("%s.name=%s is not a Secret name" % (where, _quoted(entry["name"])))
        registry = str(entry.get("registry") or "")
        if registry and not re.match(r"^(https?://)?[A-Za-z0-9.-]+(:[0-9]+)?(/[^\s]*)?$", registry):
            errors.append("%s.registry=%s is not a registry host (host, host:port or https://host/)" % (where, _quoted(registry)))


VALIDATORS = dict(webapp=webapp_errors, install=install_errors, upgrade=upgrade_errors, scale=scale_errors,
                  rollback=rollback_errors, verify=verify_errors, uninstall=uninstall_errors,
                  bootstrap=bootstrap_errors)


def errors(role, settings):
    """Every error in the settings of ``role`` (a role name of this collection)."""
    if role not in VALIDATORS:
        raise ValueError("no settings rules for role %r (known: %s)" % (role, ", ".join(sorted(VALIDATORS))))
    return VALIDATORS[role](dict(settings or {}))
