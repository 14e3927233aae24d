# -*- coding: utf-8 -*-
# Copyright: kubeha maintainers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
"""The shell scripts the client pods run (busybox sh + wget), and the readers of what they print.

- HTTP_PROBE_SCRIPT: a bounded check of a list of URLs (incluster_check);
- TRAFFIC_PROBE_SCRIPT: requests one URL continuously until the pod is deleted, to count the
  requests that fail while something changes (rollout_status during a rollout, self_heal_check
  while a pod is replaced, incluster_check reading a probe rollout_status left running).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.kubeha.webapp.plugins.module_utils.pods import create_pod, restricted_client_pod

# For each target (NAME|URL|HOSTHEADER lines in $TARGETS) try up to $ATTEMPTS times until the
# status is $EXPECT_STATUS and the body contains $EXPECT_BODY; print one line per attempt:
#   @@|name|attempt|status|rc|passed (0/1)|last error line|first 300 bytes of the body
HTTP_PROBE_SCRIPT = r"""
set -u
echo "$TARGETS" | while IFS='|' read -r name url hosthdr; do
  [ -n "$name" ] || continue
  i=1
  while [ "$i" -le "$ATTEMPTS" ]; do
    rm -f /tmp/body /tmp/hdr
    if [ -n "$hosthdr" ]; then
      wget -S -T "$REQ_TIMEOUT" --header "Host: $hosthdr" -O /tmp/body "$url" 2>/tmp/hdr
    else
      wget -S -T "$REQ_TIMEOUT" -O /tmp/body "$url" 2>/tmp/hdr
    fi
    rc=$?
    st=$(sed -n 's/.*HTTP\/[0-9.]* \([0-9][0-9][0-9]\).*/\1/p' /tmp/hdr | tail -n 1)
    [ -n "$st" ] || st=000
    [ -f /tmp/body ] || : > /tmp/body
    err=$(grep -v '^ ' /tmp/hdr | grep -iv 'connecting to\|saving to\|written to\|^$' | tail -n 1 | tr '\n|' ' /')
    body=$(head -c 300 /tmp/body | tr '\n\r|' '  /')
    pass=0
    if [ "$st" = "$EXPECT_STATUS" ] && { [ -z "$EXPECT_BODY" ] || grep -qF -- "$EXPECT_BODY" /tmp/body; }; then
      pass=1
    fi
    echo "@@|$name|$i|$st|$rc|$pass|$err|$body"
    [ "$pass" = 1 ] && break
    i=$((i + 1))
    [ "$i" -le "$ATTEMPTS" ] && sleep "$DELAY"
  done
done
exit 0
"""

# Requests $URL every $INTERVAL seconds until the pod is deleted (or its deadline), one line per
# request:  @@|seq|ok (0/1)|first 160 bytes of the body, or wget's last error line
# An answer whose body lacks $EXPECT_BODY (when set) is a failed request: "unexpected body: ...".
# Until the first answer a request waits 1 s, not $TIMEOUT: a Service without ready endpoints
# yet drops the connection silently, and a probe stuck in such a request for $TIMEOUT seconds
# would report the first answer that much later (requests before it are not counted anyway).
TRAFFIC_PROBE_SCRIPT = r"""
set -u
n=0
t=1
while true; do
  n=$((n + 1))
  if body=$(wget -q -T "$t" -O - "$URL" 2>&1); then
    t=$TIMEOUT
    if [ -z "${EXPECT_BODY:-}" ] || printf '%s' "$body" | grep -qF -- "$EXPECT_BODY"; then
      echo "@@|$n|1|$(printf '%s' "$body" | head -c 160 | tr '\n|' '  /')"
    else
      echo "@@|$n|0|unexpected body: $(printf '%s' "$body" | head -c 120 | tr '\n|' '  /')"
    fi
  else
    echo "@@|$n|0|$(printf '%s' "$body" | tail -n 1 | head -c 160 | tr '\n|' '  /')"
  fi
  sleep "$INTERVAL"
done
"""

TRAFFIC_PROBE_LABELS = {
    "app.kubernetes.io/name": "kubeha-verify",
    "app.kubernetes.io/component": "traffic-probe",
    "app.kubernetes.io/managed-by": "kubeha.webapp",
}


def traffic_probe_pod(url, image, pull_policy, deadline_seconds, interval="0.5", timeout=5,
                      expected_body="", name_prefix="kubeha-probe-", labels=None):
    """The spec of a restricted client pod that runs TRAFFIC_PROBE_SCRIPT against url."""
    env = dict(URL=url, INTERVAL=interval, TIMEOUT=timeout)
    if expected_body:
        env["EXPECT_BODY"] = expected_body
    return restricted_client_pod(
        name_prefix, image, pull_policy, TRAFFIC_PROBE_SCRIPT, dict(labels or TRAFFIC_PROBE_LABELS),
        deadline_seconds=deadline_seconds, env=env,
    )


def start_traffic_probe(client, namespace, url, image, pull_policy, deadline_seconds, interval="0.5",
                        timeout=5):
    """Create a restricted client pod that requests url continuously; returns its name at once.
    A request without an answer within `timeout` seconds counts as failed."""
    spec = traffic_probe_pod(url, image, pull_policy, deadline_seconds, interval, timeout)
    return create_pod(client, namespace, spec)["metadata"]["name"]


def parse_probe_output(text):
    """Lines printed by HTTP_PROBE_SCRIPT → {name: [attempt dicts]}."""
    out = {}
    for line in text.splitlines():
        if not line.startswith("@@|"):
            continue
        parts = line.split("|", 7)
        if len(parts) < 8:
            continue
        name, attempt, status, rc, passed, err, body = parts[1:]
        try:
            numbers = dict(attempt=int(attempt), status=int(status), rc=int(rc))
        except ValueError:
            continue
        out.setdefault(name, []).append(dict(numbers, ok=passed == "1", body=body.strip(), error=err.strip()))
    return out


def parse_traffic(log):
    """Traffic probe lines (``@@|seq|ok|detail``) → [(seq, ok, detail)]."""
    out = []
    for line in log.splitlines():
        if line.startswith("@@|"):
            parts = line.split("|", 3)
            if len(parts) == 4:
                try:
                    out.append((int(parts[1]), parts[2] == "1", parts[3].strip()))
                except ValueError:
                    continue
    return out


def traffic_summary(lines):
    """Requests made and those that failed, counted from the first answered request (a probe that
    starts before DNS or the network is ready would otherwise count its own start-up)."""
    first_ok = next((i for i, ln in enumerate(lines) if ln[1]), None)
    counted = lines[first_ok:] if first_ok is not None else lines
    failed = [ln for ln in counted if not ln[1]]
    return dict(requests=len(counted), failed=len(failed), samples=[f[2] for f in failed[:5]])
