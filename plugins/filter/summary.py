# -*- coding: utf-8 -*-
# Copyright: kubeha maintainers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
"""Filters behind the table printed at the end of every kubeha.webapp play.

summary_rows(hosts, hostvars, failed_hosts)  one row per cluster from webapp_final/webapp_state
summary_table(rows, columns, width=90)      aligned text lines, header first
summary_notes(hosts, hostvars)              one line per failure or failed check
summary_done(hosts, hostvars)               one line per operation that went through
summary_text(rows, columns, done, notes)     the table and its lines as one text, for the terminal
summary_document(rows, done, notes, ...)     the same as a JSON-ready document, for tools
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.kubeha.webapp.plugins.module_utils.canary_release import in_progress, in_progress_text
from ansible_collections.kubeha.webapp.plugins.module_utils.routes import gateway_cell


def _cell(value, width):
    text = "" if value is None else str(value)
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 3] + "..."


def summary_table(rows, columns, width=90):
    cells = [[_cell(c.upper(), width) for c in columns]]
    for row in rows or []:
        cells.append([_cell((row or {}).get(c), width) for c in columns])
    widths = [max(len(r[i]) for r in cells) for i in range(len(columns))]
    lines = []
    for n, r in enumerate(cells):
        lines.append("  ".join(v.ljust(widths[i]) for i, v in enumerate(r)).rstrip())
        if n == 0:
            lines.append("  ".join("-" * w for w in widths))
    return lines


def summary_rows(hosts, hostvars, failed_hosts=None, check_mode=False):
    """One row per cluster from the facts the roles left (webapp_final, webapp_state)."""
    failed_hosts = set(failed_hosts or [])
    rows = []
    for host in hosts:
        hv = hostvars.get(host) or {}
        state = hv.get("webapp_state") or {}
        final = hv.get("webapp_final") or {}
        row = dict(cluster=host, release="%s/%s" % (state.get("namespace", "?"), state.get("release", "?")),
                   kubernetes=(hv.get("webapp_final") or {}).get("server_version") or "?")
        if not final and not state:
            row.update(result="not run", checks="")
            rows.append(row)
            continue
        rel = final.get("release") or {}
        live = final.get("live") or {}
        dep = live.get("deployment") or {}
        if "exists" not in final:  # the final read failed (cluster unreachable...)
            row["revision"] = "?"
            row["image"] = "?"
            row["ready"] = "?"
            row["gateway"] = "?"
        elif final.get("exists"):
            row["revision"] = "%s %s" % (rel.get("revision"), rel.get("status"))
            row["image"] = (rel.get("image") or {}).get("ref")
            pods = dep.get("images") or []
            if pods and row["image"] not in pods:
                row["image"] = "%s (Deployment runs %s)" % (row["image"], ",".join(pods))
            checked = state.get("image_checked") or {}
            if checked.get("digest") and checked.get("ref") == (rel.get("image") or {}).get("ref"):
                row["image_digest"] = checked["digest"]  # what the tag named when it was checked
            canary = in_progress(final)
            if canary:
                row["image"] = "%s + canary %s at %d%%" % (row["image"], canary["image"], canary["weight"])
            row["ready"] = "%s/%s" % (dep.get("ready", 0), dep.get("replicas", "?")) if dep else "-"
            row["gateway"] = gateway_cell(live.get("httproutes") or [])
        else:
            row.update(revision="-", image="-", ready="-", gateway="-")
        ops = state.get("operations") or []
        if host in failed_hosts or state.get("failed"):
            row["result"] = "ROLLED BACK" if state.get("rolled_back") else "FAILED"
        elif any(o.get("result") == "changed" for o in ops):
            row["result"] = "would change" if check_mode else "changed"
        else:
            row["result"] = "ok"
        checks = []
        for name, chk in (state.get("checks") or {}).items():
            checks.append("%s %s" % (name, chk.get("result", "?")))
        row["checks"] = ", ".join(checks) if checks else "-"
        rows.append(row)
    return rows


def summary_notes(hosts, hostvars):
    """Lines explaining failures and failed checks, after the table."""
    notes = []
    for host in hosts:
        state = (hostvars.get(host) or {}).get("webapp_state") or {}
        for op in state.get("operations") or []:
            if op.get("result") in ("failed", "rolled back"):
                notes.append("%s: %s" % (host, " ".join(str(op.get("message", "")).split())))
        for name, chk in (state.get("checks") or {}).items():
            if not chk.get("ok", True):
                notes.append("%s: check %s: %s" % (host, name, " ".join(str(chk.get("detail", "")).split())))
        canary = in_progress((hostvars.get(host) or {}).get("webapp_final") or {})
        if canary:
            # Left by a run stopped mid-way: part of the traffic goes to another version.
            notes.append("%s: %s; upgrade.yml aborts it before it upgrades, rollback.yml puts every request back "
                         "on the stable track" % (host, in_progress_text(canary)))
        if state.get("failed") and state.get("error") and not any(
                o.get("result") in ("failed", "rolled back") for o in state.get("operations") or []):
            notes.append("%s: %s" % (host, " ".join(str(state["error"]).split())))
    return notes


def summary_done(hosts, hostvars):
    """Lines saying what each operation did, e.g. "kubeha-local: rollback: revision 3 already runs"."""
    lines = []
    for host in hosts:
        state = (hostvars.get(host) or {}).get("webapp_state") or {}
        checked = state.get("image_checked") or {}
        if checked.get("digest"):
            lines.append("%s: image %s is %s in its registry (checked before the change)"
                         % (host, checked.get("ref"), checked["digest"]))
        for op in state.get("operations") or []:
            if op.get("result") not in ("failed", "rolled back") and op.get("message"):
                lines.append("%s: %s: %s" % (host, op.get("name", "?"), " ".join(str(op["message"]).split())))
    return lines


def summary_text(rows, columns, done=None, notes=None):
    """The table, then "Done:" and "Problems:" lines, as one multi-line text. One text, not a list
    of lines: the YAML result format prints a multi-line string as a literal block, whose lines
    it never folds, where it folds every list item longer than 80 columns mid-row."""
    lines = summary_table(rows, columns)
    if done:
        lines += ["", "Done:"] + list(done)
    if notes:
        lines += ["", "Problems:"] + list(notes)
    return "\n".join(lines)


def summary_document(rows, done=None, notes=None, play="", check_mode=False):
    """What the table says, for tools: the rows as dicts (every column, unabbreviated), and the
    done and problem lines."""
    failed = any((r or {}).get("result") in ("FAILED", "ROLLED BACK") for r in rows or [])
    return dict(play=play, check_mode=bool(check_mode), ok=not (notes or failed),
                clusters=[dict(r) for r in rows or []], done=list(done or []), problems=list(notes or []))


class FilterModule(object):
    def filters(self):
        return {
            "summary_table": summary_table,
            "summary_rows": summary_rows,
            "summary_notes": summary_notes,
            "summary_done": summary_done,
            "summary_text": summary_text,
            "summary_document": summary_document,
        }
