"""kubeha-cluster: a real local Kubernetes cluster built from upstream parts.

  up          build what is missing, start (or repair) the cluster, wait for node Ready + DNS
  down        stop everything `up` started and clean the host (--purge also drops PKI)
  status      what runs, and whether the API and nodes are healthy
  kubeconfig  print the admin kubeconfig path
  bin-dir     print the directory with the pinned kubectl and helm (building them if needed)
  node-ip     print the address of the first node (NodePorts answer there); --all: every
              node as "name address", one a line
  lb-pool     print the LoadBalancer address pool ("first-last", inside the node range)
  ingress-ip  print the Ingress controller's LoadBalancer address
  facts       print kubeconfig, bin-dir, node-ip, ingress-ip and lb-pool as one JSON object (`up`
              keeps a copy in the state directory, which the shell shim prints without starting
              Python)
  node-stop   stop one node (drain it first for a planned removal): its LoadBalancer announcer,
              kube-proxy and kubelet end cleanly, its containers and containerd stop
  node-start  start a stopped node again; `up` also starts nodes left stopped
  restart     stop one control-plane component (kube-apiserver, etcd, kube-controller-manager,
              kube-scheduler) cleanly and start it again, for fault tests; waits until the API
              answers again
"""
from __future__ import annotations

import argparse
import hashlib
import ipaddress
import json
import os
import secrets
import shutil
import ssl
import string
import subprocess
import sys
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path

import yaml

from . import cgroups, cleanup, components, imagestore, net, pki, preflight
from .locks import exclusive
from .procs import run
from .topology import (CACHE, CLUSTER_DIR, VERSIONS, Cluster, Node, bin_dir, default_cluster,
                       helm_bin, kube_bin, metallb_bin, recorded_workers)


def say(msg: str) -> None:
    print(f"[kubeha-cluster] {msg}", file=sys.stderr, flush=True)


def all_processes(cluster: Cluster, write_configs: bool = False):
    procs = components.control_plane(cluster)
    for node in cluster.nodes:
        procs += components.node_processes(node, write_configs)
    return procs


def stopped_nodes(cluster: Cluster) -> list[Node]:
    """Nodes stopped on purpose with `node-stop` (their processes are expected to be down)."""
    return [n for n in cluster.nodes if (n.run / "stopped").exists()]


def expected_processes(cluster: Cluster):
    """Every process that should run now: all of them but those of nodes stopped on purpose."""
    off = {n.name for n in stopped_nodes(cluster)}
    return [p for p in all_processes(cluster) if not any(p.name.startswith(f"{o}-") for o in off)]


# --- building -------------------------------------------------------------------------------

def build() -> Images:
    """Build what is missing (binaries, image archives, the image store) and return the images."""
    with exclusive(CACHE / ".build.lock", "the build cache"):
        if not kube_built() or not helm_bin().exists():
            say("building binaries (cached after the first time; log lines show progress)")
        build_binaries()
        out = subprocess.run([str(CLUSTER_DIR / "lib" / "images.sh"), "build"], check=True,
                             text=True, stdout=subprocess.PIPE, env=lock_held_env()).stdout
        archives = [Path(p) for p in out.split()]
        link_tools()
        return Images(archives, imagestore.ensure_store(archives, say))


def build_binaries(stdout=None) -> None:
    """Build what is missing from the cache (callers hold the build lock)."""
    done = subprocess.run([str(CLUSTER_DIR / "lib" / "build.sh"), "all"], stdout=stdout,
                          env=lock_held_env())
    if done.returncode != 0:  # build.sh has printed which binary failed and its log's last lines
        raise SystemExit(f"kubeha-cluster: building the binaries failed (exit {done.returncode}); "
                         f"build logs are in {CACHE / 'logs'}")


def lock_held_env() -> dict[str, str]:
    """Environment telling build.sh that its caller holds the build lock (it must not wait for
    it again: a second flock of the same file would wait for its own caller forever)."""
    return {**os.environ, "KUBEHA_BUILD_LOCK_HELD": "1"}


KUBE_COMPONENTS = ("kubectl", "kube-apiserver", "kube-controller-manager", "kube-scheduler",
                   "kubelet", "kube-proxy")


def kube_built() -> bool:
    """Every component is its own binary in the cache (not a link to an older multi-call one)."""
    return all((kube_bin() / c).is_file() and not (kube_bin() / c).is_symlink() for c in KUBE_COMPONENTS)


def link_tools() -> None:
    d = bin_dir()
    d.mkdir(parents=True, exist_ok=True)
    targets = {"helm": helm_bin()}
    for name in KUBE_COMPONENTS:
        targets[name] = kube_bin() / name
    for name, target in targets.items():
        link = d / name
        if link.is_symlink() and os.readlink(link) == str(target):
            continue
        tmp = d / f".{name}.{os.getpid()}.tmp"  # per process: two callers may link at once
        tmp.unlink(missing_ok=True)
        tmp.symlink_to(target)
        os.replace(tmp, link)


@dataclass(frozen=True)
class Images:
    archives: list[Path]  # docker archives, named by the hash of their inputs
    store: Path  # all of them imported into one containerd root (see imagestore)


# --- health ---------------------------------------------------------------------------------

def _api_get(cluster: Cluster, path: str, timeout: float = 2) -> tuple[int, str]:
    ctx = ssl.create_default_context(cafile=str(cluster.pki / "ca.crt"))
    ctx.load_cert_chain(str(cluster.pki / "admin.crt"), str(cluster.pki / "admin.key"))
    url = f"https://127.0.0.1:{cluster.host_api_port}{path}"
    try:
        with urllib.request.urlopen(url, context=ctx, timeout=timeout) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode(errors="replace")
    except OSError as e:
        return 0, str(e)


def kubectl(cluster: Cluster, *args: str, input: str | None = None, check: bool = True):
    return run(str(kube_bin() / "kubectl"), f"--kubeconfig={cluster.admin_kubeconfig}", *args,
               input=input, check=check, timeout=120)


def wait_for(what: str, probe, timeout: float, procs=()) -> None:
    """Poll `probe` until it returns True; fail early, with its log, when a process dies.
    The bounds are generous on purpose: on a busy 2-core host a first start (etcd empty, the API
    server creating its bootstrap roles while images are imported) can take minutes, and a dead
    process already ends the wait at once."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if probe():
            return
        for p in procs:
            tail = p.exited_early()
            if tail is not None:
                raise SystemExit(f"kubeha-cluster: {p.name} exited while waiting for {what}; "
                                 f"last lines of {p.logfile}:\n{tail}")
        time.sleep(0.2)
    raise SystemExit(f"kubeha-cluster: timed out after {timeout:.0f}s waiting for {what}; "
                     f"logs are in {default_cluster().logs}")


def node_ready(cluster: Cluster) -> bool:
    p = kubectl(cluster, "get", "nodes", "-o", "json", check=False)
    if p.returncode != 0:
        return False
    ready = {n["metadata"]["name"] for n in json.loads(p.stdout)["items"]
             if any(c["type"] == "Ready" and c["status"] == "True" for c in n["status"]["conditions"])}
    return all(n.name in ready for n in cluster.nodes)


def dns_answers(cluster: Cluster) -> bool:
    node = cluster.nodes[0]
    p = run("busybox", "nslookup", f"kubernetes.default.svc.{cluster.dns_domain}", cluster.dns_ip,
            netns=node.netns, check=False, timeout=5)
    return p.returncode == 0 and cluster.api_service_ip in p.stdout


# --- commands -------------------------------------------------------------------------------

def healthy(cluster: Cluster, procs) -> bool:
    return all(p.running() for p in procs) and _api_get(cluster, "/readyz")[0] == 200


def up(cluster: Cluster) -> None:
    t0 = time.monotonic()
    was = recorded_workers(cluster)
    if was and int(was) != cluster.workers:
        say(f"{cluster.name} runs with {was} workers, {cluster.workers} asked: taking it down first")
        earlier = replace(cluster, workers=int(was))
        cleanup.teardown(earlier, all_processes(earlier))
    procs = all_processes(cluster)
    preflight.check(cluster, forward_is_ours=any(p.name == "api-forward" and p.running() for p in procs))
    images = build()
    if stopped_nodes(cluster) and healthy(cluster, expected_processes(cluster)):
        for node in stopped_nodes(cluster):
            say(f"starting node {node.name}, stopped with node-stop")
            node_start(cluster, node)
    core = [p for p in procs if not is_addon(p.name)]
    if healthy(cluster, core) and node_ready(cluster) and dns_answers(cluster):
        by_name = {p.name: p for p in procs}
        for node in cluster.nodes:  # images rebuilt since the cluster started
            import_images(node, images.archives, by_name[f"{node.name}-containerd"])
        # Add-ons added or changed since the cluster started (a newer checkout) are brought in
        # without restarting what runs.
        pki.ensure(cluster)
        addons(cluster, only_if_changed=True)
        for p in procs:
            if is_addon(p.name) and not p.running() and not any(
                    p.name.startswith(f"{n.name}-") for n in stopped_nodes(cluster)):
                say(f"starting add-on {p.name}")
                p.start()
        write_facts(cluster)
        say(f"already up ({cluster.name}); kubeconfig: {cluster.admin_kubeconfig}")
        return
    if any(p.running() for p in procs) or cluster.run_dir.exists() or \
            Path(f"/run/netns/{cluster.cp_netns}").exists():
        say("found state of an earlier run that is not healthy: cleaning it up first")
        cleanup.teardown(cluster, procs)
    t_build = time.monotonic()
    cluster.workers_record.parent.mkdir(parents=True, exist_ok=True)
    cluster.workers_record.write_text(f"{cluster.workers}\n")
    pki.ensure(cluster)
    net.setup(cluster)
    procs = all_processes(cluster, write_configs=True)
    by_name = {p.name: p for p in procs}
    cp = [by_name[n] for n in ("etcd", "kube-apiserver", "api-forward")]
    for p in cp:
        p.start()
    for node in cluster.nodes:  # before its containerd starts, which reads the store once
        imagestore.give_to_node(images.store, components.containerd_root(node),
                                node.run / "imported-images")
        by_name[f"{node.name}-containerd"].start()
    wait_for("kube-apiserver /readyz", lambda: _api_get(cluster, "/readyz")[0] == 200, 240, cp)
    by_name["kube-controller-manager"].start()
    by_name["kube-scheduler"].start()
    for node in cluster.nodes:
        wait_for(f"containerd on {node.name}", node.containerd_sock.exists, 60,
                 [by_name[f"{node.name}-containerd"]])
    for node in cluster.nodes:
        cgroups.create(node.cgroup_parent)
        by_name[f"{node.name}-kubelet"].start()
        by_name[f"{node.name}-kube-proxy"].start()
    # CoreDNS first (`up` ends when it answers), the other add-ons while the nodes get ready.
    _apply(cluster, coredns_manifest(cluster))
    started = [p for p in procs if p.name != "metallb-controller" and not p.name.endswith("-kube-router")]
    with ThreadPoolExecutor(1) as pool:
        others = pool.submit(addons, cluster, coredns_applied=True)
        wait_for("every node Ready", lambda: node_ready(cluster), 180, started)
        others.result()
    by_name["metallb-controller"].start()
    for node in cluster.nodes:  # it reads its Node object when it starts
        by_name[f"{node.name}-kube-router"].start()
    wait_for("cluster DNS answering", lambda: dns_answers(cluster), 180, procs)
    write_facts(cluster)
    t1 = time.monotonic()
    say(f"up in {t1 - t0:.1f}s (start {t1 - t_build:.1f}s); "
        f"kubeconfig: {cluster.admin_kubeconfig}")


def import_images(node, archives: list[Path], containerd) -> None:
    """Import the image archives this node's containerd has not imported yet (images rebuilt
    while the cluster runs; a new node gets them all from the image store). Archive names
    carry the hash of their inputs, so a rebuilt image is a new archive. The bound per archive is
    wide: on a busy 2-core machine (another cluster running, every node importing at once) one
    import has taken more than two minutes; a containerd that dies still ends it at once."""
    sock = node.containerd_sock
    wait_for(f"containerd on {node.name}", sock.exists, 60, [containerd])
    stamp = node.run / "imported-images"
    done = set(stamp.read_text().split()) if stamp.exists() else set()
    for tar in archives:
        if str(tar) not in done:
            run("ctr", f"--address={sock}", "-n", "k8s.io", "images", "import", str(tar),
                timeout=imagestore.IMPORT_TIMEOUT)
            with stamp.open("a") as f:
                f.write(f"{tar}\n")


EXCLUDE_LB = "node.kubernetes.io/exclude-from-external-load-balancers"
L2_NODE_LABEL = "metallb.io/node"  # which speaker owns a ServiceL2Status


def node_named(cluster: Cluster, name: str) -> Node:
    for node in cluster.nodes:
        if name in (node.name, node.name.rsplit("-", 1)[-1]):
            return node
    raise SystemExit(f"kubeha-cluster: no node {name!r} in cluster {cluster.name}; nodes: "
                     + ", ".join(n.name for n in cluster.nodes))


def node_stop(cluster: Cluster, node: Node) -> None:
    """Stop one node the way a machine is switched off after a drain: first its LoadBalancer
    announcements move away (the node is excluded from load balancers and the other speakers
    take its addresses over), then its agents end cleanly (SIGTERM), then its containers (the
    speaker among them) and its containerd stop. The node's namespace, bridge
    port and state stay, so `node-start` brings it back."""
    procs = {p.name: p for p in components.node_processes(node)}
    node.run.mkdir(parents=True, exist_ok=True)
    (node.run / "stopped").write_text(time.strftime("%F %T\n"))
    if _api_get(cluster, "/readyz")[0] == 200:
        kubectl(cluster, "label", "node", node.name, f"{EXCLUDE_LB}=node-stop", "--overwrite",
                check=False)

        def announced_here() -> bool:
            # Only statuses this node's speaker owns (its label) are withdrawn by it; see
            # _forget_announcements for the ones it does not own.
            return any(s["metadata"].get("labels", {}).get(L2_NODE_LABEL) == node.name
                       and s.get("status", {}).get("node") == node.name for s in _l2_statuses(cluster))
        deadline = time.monotonic() + 15
        while announced_here() and time.monotonic() < deadline:
            time.sleep(0.2)
        if announced_here():
            say(f"{node.name} still announces LoadBalancer addresses after 15s; stopping it anyway "
                "(the other speakers take them over when memberlist sees it gone)")
    agents = [p for n, p in procs.items() if not n.endswith("-containerd")]
    for p in reversed(agents):  # announcer first, kubelet last
        p.stop()
    cleanup.stop_node_containers(node)
    procs[f"{node.name}-containerd"].stop()
    _forget_announcements(cluster, node)
    say(f"node {node.name} stopped")


def _l2_statuses(cluster: Cluster) -> list[dict]:
    p = kubectl(cluster, "-n", "metallb-system", "get", "servicel2statuses", "-o", "json", check=False)
    return json.loads(p.stdout)["items"] if p.returncode == 0 else []


def _forget_announcements(cluster: Cluster, node: Node) -> None:
    """Delete the L2 statuses that still name the stopped node. MetalLB v0.15's speakers delete
    only statuses labelled with their own node, and when one takes an address over it patches the
    existing status: the label changes, but `status.node` is immutable and the patch is refused.
    A status naming a stopped node would then stay forever while the address is announced
    elsewhere; deleted, the announcing speaker writes a fresh one."""
    if _api_get(cluster, "/readyz")[0] != 200:
        return
    stale = [s["metadata"]["name"] for s in _l2_statuses(cluster)
             if node.name in (s.get("status", {}).get("node"),
                              s["metadata"].get("labels", {}).get(L2_NODE_LABEL))]
    if stale:
        kubectl(cluster, "-n", "metallb-system", "delete", "servicel2statuses", *stale,
                "--ignore-not-found", "--wait=false", check=False)


CONTROL_PLANE = ("etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler")


def restart(cluster: Cluster, name: str) -> None:
    """Restart one control-plane process, as an upgrade of it or a crash followed by the
    supervisor bringing it back would: SIGTERM, then the same command line again."""
    if name not in CONTROL_PLANE:
        raise SystemExit(f"kubeha-cluster: restart takes one of {', '.join(CONTROL_PLANE)}, not {name!r}")
    proc = {p.name: p for p in components.control_plane(cluster)}[name]
    if not proc.running():
        raise SystemExit(f"kubeha-cluster: {name} of cluster {cluster.name} is not running (run up)")
    t0 = time.monotonic()
    proc.stop()
    proc.start()
    wait_for("kube-apiserver /readyz", lambda: _api_get(cluster, "/readyz")[0] == 200, 240, [proc])
    say(f"{name} restarted; API ready again after {time.monotonic() - t0:.1f}s")


def node_start(cluster: Cluster, node: Node) -> None:
    procs = components.node_processes(node, write_configs=True)
    by_name = {p.name: p for p in procs}
    containerd = by_name[f"{node.name}-containerd"]
    containerd.start()
    wait_for(f"containerd on {node.name}", node.containerd_sock.exists, 60, [containerd])
    import_images(node, build().archives, containerd)
    cgroups.create(node.cgroup_parent)
    for p in procs:
        p.start()
    (node.run / "stopped").unlink(missing_ok=True)

    def ready() -> bool:
        p = kubectl(cluster, "get", "node", node.name, "-o", "json", check=False)
        return p.returncode == 0 and any(
            c["type"] == "Ready" and c["status"] == "True"
            for c in json.loads(p.stdout)["status"]["conditions"])
    wait_for(f"node {node.name} Ready", ready, 180, procs)
    kubectl(cluster, "label", "node", node.name, f"{EXCLUDE_LB}-", check=False)
    say(f"node {node.name} started")


def _apply(cluster: Cluster, text: str) -> None:
    kubectl(cluster, "apply", "--server-side", "--force-conflicts", "--field-manager=kubeha-cluster",
            "-f", "-", input=text)


# Processes of add-ons (not of Kubernetes itself): a running cluster without them gets them
# started by `up` instead of being restarted.
def is_addon(name: str) -> bool:
    return name == "metallb-controller" or name.endswith("-kube-router")


def coredns_manifest(cluster: Cluster) -> str:
    return string.Template((CLUSTER_DIR / "addons" / "coredns.yaml").read_text()).substitute(
        DNS_IP=cluster.dns_ip, DOMAIN=cluster.dns_domain, COREDNS_IMAGE=VERSIONS["COREDNS_IMAGE"])


def addons(cluster: Cluster, only_if_changed: bool = False, coredns_applied: bool = False) -> None:
    """Apply the add-ons' manifests (all of them, or nothing when none changed since the last
    apply and `only_if_changed`)."""
    stamp = cluster.run_dir / "addons.sha256"
    digest = hashlib.sha256(b"".join(
        f.read_bytes() for f in sorted((CLUSTER_DIR / "addons").glob("*.yaml"))) +
        repr(sorted(VERSIONS.items())).encode()).hexdigest()
    if only_if_changed and stamp.exists() and stamp.read_text() == digest:
        return
    first, last = cluster.lb_pool
    metallb = string.Template((CLUSTER_DIR / "addons" / "metallb.yaml").read_text()).substitute(
        INGRESS_IP=cluster.ingress_ip, POOL_FIRST=str(ipaddress.ip_address(first) + 1), POOL_LAST=last,
        NODE_IFACE=cluster.node_iface, SPEAKER_IMAGE=VERSIONS["METALLB_SPEAKER_IMAGE"])
    traefik = string.Template((CLUSTER_DIR / "addons" / "traefik.yaml").read_text()).substitute(
        INGRESS_IP=cluster.ingress_ip, TRAEFIK_IMAGE=VERSIONS["TRAEFIK_IMAGE"])
    coredns = "" if coredns_applied else coredns_manifest(cluster)
    docs = [d for t in (coredns, (metallb_bin() / "crds.yaml").read_text(), metallb,
                        (CLUSTER_DIR / "addons" / "kube-router.yaml").read_text(), traefik)
            for d in yaml.safe_load_all(t) if d]
    # One apply for everything but MetalLB's address pools and announcements, which wait for
    # MetalLB's CRDs (each kubectl call spent most of its time on API discovery).
    custom = [d for d in docs if d["apiVersion"].startswith("metallb.io/")]
    _apply(cluster, yaml.safe_dump_all([d for d in docs if d not in custom]))
    kubectl(cluster, "wait", "--for=condition=Established", "--timeout=60s",
            "crd/ipaddresspools.metallb.io", "crd/l2advertisements.metallb.io")
    _apply(cluster, yaml.safe_dump_all(custom))
    # The speakers' memberlist key (the speakers find each other and notice a dead node in
    # seconds), made once per cluster: creating it again fails, and keeps the key.
    kubectl(cluster, "-n", "metallb-system", "create", "secret", "generic", "memberlist",
            f"--from-literal=secretkey={secrets.token_urlsafe(96)}", check=False)
    stamp.write_text(digest)


def down(cluster: Cluster, purge: bool) -> None:
    cleanup.teardown(cluster, all_processes(cluster))
    cluster.workers_record.unlink(missing_ok=True)
    cluster.facts_file.unlink(missing_ok=True)
    if purge:
        shutil.rmtree(cluster.state, ignore_errors=True)
    say(f"down ({cluster.name})" + (", state purged" if purge else ""))


def status(cluster: Cluster) -> int:
    procs = all_processes(cluster)
    off = [n.name for n in stopped_nodes(cluster)]
    for p in procs:
        pid = p.pid()
        state = 'running pid ' + str(pid) if pid else 'stopped'
        if not pid and any(p.name.startswith(f"{o}-") for o in off):
            state += " (node-stop)"
        print(f"{p.name:32} {state}")
    code, body = _api_get(cluster, "/readyz") if (cluster.pki / "ca.crt").exists() else (0, "no pki")
    print(f"{'api /readyz':32} {'ok' if code == 200 else f'not ready ({code} {body[:80]})'}")
    if code == 200:
        print(kubectl(cluster, "get", "nodes", "-o", "wide", check=False).stdout.rstrip())
    ok = code == 200 and all(p.running() for p in expected_processes(cluster))
    word = 'up' if ok else 'down' if not any(p.running() for p in procs) else 'degraded'
    print(f"cluster {cluster.name}: {word}" + (f" (stopped with node-stop: {', '.join(off)})" if off else ""))
    return 0 if ok else 3


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="kubeha-cluster", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    sub.add_parser("up")
    d = sub.add_parser("down")
    d.add_argument("--purge", action="store_true", help="also delete PKI and kubeconfigs")
    for name in ("status", "kubeconfig", "bin-dir", "build", "lb-pool", "ingress-ip", "facts"):
        sub.add_parser(name)
    ni = sub.add_parser("node-ip")
    ni.add_argument("name", nargs="?", help="a node name (default: the first node)")
    ni.add_argument("--all", action="store_true", help='every node as "name address"')
    for name in ("node-stop", "node-start"):
        sub.add_parser(name).add_argument("name", help="node name, e.g. kubeha-n2 or n2")
    sub.add_parser("restart").add_argument("name", help="control-plane component, e.g. kube-apiserver")
    args = ap.parse_args(argv)
    cluster = default_cluster()
    try:
        if args.cmd in CHANGES_CLUSTER:
            with exclusive(cluster.state.parent / f".{cluster.name}.lock", f"cluster {cluster.name}"):
                return run_command(cluster, args)
        return run_command(cluster, args)
    except RuntimeError as e:  # a command of ours failed: its message says which and why
        raise SystemExit(f"kubeha-cluster {args.cmd} ({cluster.name}): {e}") from None


# Commands that start, stop or rewrite a cluster's processes run one at a time per cluster.
CHANGES_CLUSTER = {"up", "down", "node-stop", "node-start", "restart"}


def ensure_tools() -> None:
    if not helm_bin().exists() or not kube_built():
        with exclusive(CACHE / ".build.lock", "the build cache"):
            build_binaries(stdout=sys.stderr)
    link_tools()


def facts(cluster: Cluster) -> dict[str, str]:
    """What a client of the cluster needs (the local inventory reads it once per playbook)."""
    return {"kubeconfig": str(cluster.admin_kubeconfig), "bin_dir": str(bin_dir()),
            "node_ip": cluster.nodes[0].ip, "ingress_ip": cluster.ingress_ip,
            "lb_pool": "-".join(cluster.lb_pool)}


def write_facts(cluster: Cluster) -> None:
    # Read by the shell shim for `facts`: a playbook's inventory asks for them per cluster, and
    # starting Python for it costs seconds on a small machine.
    ensure_tools()
    tmp = cluster.facts_file.with_suffix(".tmp")
    tmp.write_text(json.dumps(facts(cluster), sort_keys=True) + "\n")
    tmp.replace(cluster.facts_file)


def run_command(cluster: Cluster, args: argparse.Namespace) -> int:
    if args.cmd == "up":
        up(cluster)
    elif args.cmd == "down":
        down(cluster, args.purge)
    elif args.cmd == "status":
        return status(cluster)
    elif args.cmd == "kubeconfig":
        print(cluster.admin_kubeconfig)
    elif args.cmd == "bin-dir":
        ensure_tools()
        print(bin_dir())
    elif args.cmd == "facts":
        ensure_tools()
        print(json.dumps(facts(cluster), sort_keys=True))
    elif args.cmd == "node-ip":
        if args.all:
            for node in cluster.nodes:
                print(node.name, node.ip)
        else:
            print(node_named(cluster, args.name).ip if args.name else cluster.nodes[0].ip)
    elif args.cmd == "lb-pool":
        print("-".join(cluster.lb_pool))
    elif args.cmd == "ingress-ip":
        print(cluster.ingress_ip)
    elif args.cmd == "node-stop":
        node_stop(cluster, node_named(cluster, args.name))
    elif args.cmd == "node-start":
        node_start(cluster, node_named(cluster, args.name))
    elif args.cmd == "restart":
        restart(cluster, args.name)
    elif args.cmd == "build":
        build()
    return 0
