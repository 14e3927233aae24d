"""kubeha-cluster: a real local Kubernetes cluster built from upstream parts.

  up          build what is missing, start (or repair) the cluster, wait for node Ready + DNS
  down        stop everything `up` started and clean the host (--purge also drops PKI)
  status      what runs, and whether the API and nodes are healthy
  kubeconfig  print the admin kubeconfig path
  bin-dir     print the directory with the pinned kubectl and helm (building them if needed)
  node-ip     print the address of the first node (NodePorts answer there); --all: every
              node as "name address", one a line
  lb-pool     print the address pool MetalLB assigns LoadBalancer Services from ("first-last",
              inside the node range)
  ingress-ip  print the Ingress controller's LoadBalancer address
  gateway-ip  print the address of the shared Gateway (Traefik's Gateway API listeners)
  facts       print kubeconfig, bin-dir, node-ip, ingress-ip, gateway-ip, the Gateway (name,
              namespace, listeners, ports, CA file, route label), lb-pool and the registries
              (addresses, CA file, the private one's user and password, the chart's OCI
              reference and version) as one JSON object
              (`up` keeps a copy in the state directory, which the shell shim prints without
              starting Python)
  node-stop   stop one node (drain it first for a planned removal): its LoadBalancer announcer,
              kube-proxy and kubelet end cleanly, its containers and containerd stop
  node-start  start a stopped node again; `up` also starts nodes left stopped
  registry-stop   stop the cluster's public or private registry (no argument: both), for fault
              tests: pulls from it meet a refused connection; `status` still says up
  registry-start  start it (them) again; `up` also starts registries left stopped
  restart     stop one control-plane component (kube-apiserver, etcd, kube-controller-manager,
              kube-scheduler) cleanly and start it again, for fault tests; waits until the API
              answers again
"""
from __future__ import annotations

import argparse
import json

from . import build, facts, lifecycle, nodes, registry
from .locks import exclusive
from .topology import Cluster, bin_dir, default_cluster

# Commands that start, stop or rewrite a cluster's processes run one at a time per cluster.
CHANGES_CLUSTER = {"up", "down", "node-stop", "node-start", "restart", "registry-stop", "registry-start"}


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    cluster = default_cluster()
    try:
        if args.cmd in CHANGES_CLUSTER:
            with exclusive(cluster.state.parent / f".{cluster.name}.lock", f"cluster {cluster.name}"):
                return run_command(cluster, args)
        return run_command(cluster, args)
    except RuntimeError as e:  # a command of ours failed: its message says which and why
        raise SystemExit(f"kubeha-cluster {args.cmd} ({cluster.name}): {e}") from None


def _parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="kubeha-cluster", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    sub.add_parser("up")
    d = sub.add_parser("down")
    d.add_argument("--purge", action="store_true", help="also delete PKI and kubeconfigs")
    for name in ("status", "kubeconfig", "bin-dir", "build", "lb-pool", "ingress-ip", "gateway-ip", "facts"):
        sub.add_parser(name)
    ni = sub.add_parser("node-ip")
    ni.add_argument("name", nargs="?", help="a node name (default: the first node)")
    ni.add_argument("--all", action="store_true", help='every node as "name address"')
    for name in ("node-stop", "node-start"):
        sub.add_parser(name).add_argument("name", help="node name, e.g. kubeha-n2 or n2")
    sub.add_parser("restart").add_argument("name", help="control-plane component, e.g. kube-apiserver")
    for name in ("registry-stop", "registry-start"):
        sub.add_parser(name).add_argument("registry", nargs="?", choices=registry.NAMES,
                                          help="public or private (default: both)")
    return ap


def run_command(cluster: Cluster, args: argparse.Namespace) -> int:
    if args.cmd == "up":
        lifecycle.up(cluster)
    elif args.cmd == "down":
        lifecycle.down(cluster, args.purge)
    elif args.cmd == "status":
        return lifecycle.status(cluster)
    elif args.cmd == "kubeconfig":
        print(cluster.admin_kubeconfig)
    elif args.cmd == "bin-dir":
        build.ensure_tools()
        print(bin_dir())
    elif args.cmd == "facts":
        build.ensure_tools()
        print(json.dumps(facts.gather(cluster), sort_keys=True))
    elif args.cmd == "node-ip":
        if args.all:
            for node in cluster.nodes:
                print(node.name, node.ip)
        else:
            print(nodes.named(cluster, args.name).ip if args.name else cluster.nodes[0].ip)
    elif args.cmd == "lb-pool":
        print("-".join(cluster.lb_pool))
    elif args.cmd == "ingress-ip":
        print(cluster.ingress_ip)
    elif args.cmd == "gateway-ip":
        print(cluster.gateway_ip)
    elif args.cmd == "node-stop":
        nodes.stop(cluster, nodes.named(cluster, args.name))
    elif args.cmd == "node-start":
        nodes.start(cluster, nodes.named(cluster, args.name))
    elif args.cmd == "restart":
        lifecycle.restart(cluster, args.name)
    elif args.cmd == "registry-stop":
        registry.stop(cluster, [args.registry] if args.registry else registry.NAMES)
    elif args.cmd == "registry-start":
        registry.start_stopped(cluster, [args.registry] if args.registry else registry.NAMES)
    elif args.cmd == "build":
        build.missing()
    return 0
