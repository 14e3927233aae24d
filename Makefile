# kubeha: the two commands of the README, and the steps behind them.
#   make demo   install what is needed, bring up the local cluster, deploy + verify the web app
#   make test   the whole test suite (lint, chart, cluster, collection), JUnit XML in reports/
SHELL := /bin/bash
.DEFAULT_GOAL := help
VENV ?= .venv
PY := $(VENV)/bin/python
CLUSTER := cluster/kubeha-cluster
export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)
export ANSIBLE_CONFIG := $(CURDIR)/ansible.cfg

# Debian packages the project needs (the cluster's runtime, image building and pushing into the
# local registries, their htpasswd, load tools).
DEBS := containerd runc containernetworking-plugins iptables ipset conntrack iproute2 util-linux \
        etcd-server buildah skopeo apache2-utils busybox-static socat curl wrk python3-venv

.PHONY: help deps venv venv-oldest venv-ship tools cluster demo test lint docs unit down clean FORCE
FORCE:
help:
	@sed -n 's/^#   //p' Makefile

deps:  ## Debian packages, installed only when one is missing
	@missing=$$(for p in $(DEBS); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  echo "[deps] installing:" $$missing; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	fi

# The virtualenv is built once per Python version and requirements.txt, in the cache outside the
# repo (installing ansible, molecule and the linters takes minutes on a small machine); .venv is a
# link to it. A second checkout on the same machine reuses it; the lock keeps two from building
# the same one at once.
CACHE ?= $(or $(KUBEHA_CACHE),$(or $(XDG_CACHE_HOME),$(HOME)/.cache)/kubeha)
# ansible-core 2.21 needs Python 3.12+ on the controller (Debian 12's python3 is 3.11):
# scripts/find-python picks python3.13, else python3.12, from PATH or pyenv's versions
# (`make venv PYTHON=/path/to/python3.x` names one); with none, `make venv` says what to install.
BASE_PYTHON := $(shell PYTHON='$(PYTHON)' scripts/find-python 2>/dev/null)
VENV_KEY := $(if $(BASE_PYTHON),$(shell $(BASE_PYTHON) -c 'import sys; print("py%d.%d" % sys.version_info[:2])'),nopython)-$(shell sha256sum requirements.txt | cut -c1-12)
VENV_CACHED := $(CACHE)/venv/$(VENV_KEY)
# Rebuilt (or relinked) also when .venv points elsewhere: another Python found, another cache.
$(VENV)/.installed: requirements.txt $(if $(filter $(VENV_CACHED),$(shell readlink $(VENV) 2>/dev/null)),,FORCE)
	@test -n "$(BASE_PYTHON)" || PYTHON='$(PYTHON)' scripts/find-python >/dev/null
	@mkdir -p $(CACHE)/venv
	flock $(CACHE)/venv/.lock bash -euc 'test -f $(VENV_CACHED)/.installed && exit 0; \
	  echo "[venv] installing requirements.txt into $(VENV_CACHED) with $(BASE_PYTHON)"; \
	  rm -rf $(VENV_CACHED); $(BASE_PYTHON) -m venv $(VENV_CACHED); $(VENV_CACHED)/bin/pip install -q -r requirements.txt; \
	  touch $(VENV_CACHED)/.installed'
	@if [ -d $(VENV) ] && [ ! -L $(VENV) ]; then rm -rf $(VENV); fi
	ln -sfn $(VENV_CACHED) $(VENV)
venv: $(VENV)/.installed

# The oldest ansible-core the collection declares, in a venv of its own (prints its path).
OLDEST_VENV := $(CACHE)/venv/oldest-$(VENV_KEY)-$(shell sha256sum requirements-oldest.txt | cut -c1-12)
venv-oldest:
	@test -n "$(BASE_PYTHON)" || PYTHON='$(PYTHON)' scripts/find-python >/dev/null
	@mkdir -p $(CACHE)/venv
	@flock $(CACHE)/venv/.lock bash -euc 'test -f $(OLDEST_VENV)/.installed && exit 0; \
	  echo "[venv] installing requirements-oldest.txt into $(OLDEST_VENV)" >&2; \
	  rm -rf $(OLDEST_VENV); $(BASE_PYTHON) -m venv $(OLDEST_VENV); \
	  $(OLDEST_VENV)/bin/pip install -q -r requirements-oldest.txt >&2; touch $(OLDEST_VENV)/.installed'
	@echo $(OLDEST_VENV)

# The publishing checks' tools (galaxy-importer, checkov: requirements-ship.txt), in a venv of
# their own in the cache (their pins do not fit beside requirements.txt); prints its path.
SHIP_VENV := $(CACHE)/venv/ship-$(firstword $(subst -, ,$(VENV_KEY)))-$(shell sha256sum requirements-ship.txt | cut -c1-12)
venv-ship:
	@test -n "$(BASE_PYTHON)" || PYTHON='$(PYTHON)' scripts/find-python >/dev/null
	@mkdir -p $(CACHE)/venv
	@flock $(CACHE)/venv/.lock bash -euc 'test -f $(SHIP_VENV)/.installed && exit 0; \
	  echo "[venv] installing requirements-ship.txt into $(SHIP_VENV)" >&2; \
	  rm -rf $(SHIP_VENV); $(BASE_PYTHON) -m venv $(SHIP_VENV); \
	  $(SHIP_VENV)/bin/pip install -q -r requirements-ship.txt >&2; touch $(SHIP_VENV)/.installed'
	@echo $(SHIP_VENV)

# Every cluster's Kubernetes version (inventories/local), so that no test waits for a build.
tools: deps venv  ## Kubernetes, helm, CoreDNS and the images, built once into the cache
	scripts/each-cluster build

# Every cluster of inventories/local, side by side (scripts/each-cluster runs the CLI for each).
cluster: tools
	scripts/each-cluster up

demo: cluster
	ansible-playbook playbooks/deploy.yml
	@./scripts/show-endpoint.sh

lint: venv tools  ## the offline part of the suite: yamllint, ansible-lint, helm lint, schema, docs drift
	pytest -m "not cluster" tests

docs: venv  ## regenerate docs/roles/ from the roles' argument_specs and the chart README's values table
	$(PY) tools/role_docs.py
	$(PY) tools/chart_values_doc.py

# The suite runs in two phases: first the tests that can share the cluster, on TEST_WORKERS
# pytest-xdist workers (each test file on one worker; 0 runs them in this process, one after the
# other), on the main cluster with ONE worker node; then the tests that need two workers
# (tests/topology: spread, LoadBalancer, Ingress, NetworkPolicy) and the disruptive ones (node
# stop, API restart, drain, load counts; last of all, a crash of the main cluster and its `down`)
# one at a time, after `up` has brought the main cluster back with two workers. Why one worker
# first: an idle worker (kubelet, containerd, kube-proxy, MetalLB speaker,
# kube-network-policies) takes about a quarter of a 2-core machine, which the first phase's plays
# need more than a second node; the second `up` costs a few minutes and gives back more.
# Both phases always run; the summary line adds them up. TEST_WORKERS is 2: the first phase's
# plays mostly wait for pods and rollouts, so two test files at a time halve it on a healthy 2-core
# machine (14.2 -> 8.0 min measured); TEST_WORKERS=0 runs them one after the other.
# The tests that need the inventory's other cluster (multi-cluster) run last in phase 1 and bring
# it up themselves; it goes down before phase 2, so that it idles during neither.
# reports/test-times.tsv lists each test's time as it finishes, reports/failures.txt each failure,
# reports/machine.log what the machine did each minute (a slow machine, not a slow test, says so).
# While it runs, tools/keep_resident.py keeps the Python tools and helm/kubectl in memory: on a
# machine that reclaims pages untouched for a minute, each of the suite's thousands of short
# processes would otherwise read them back from disk (3x slower, see the tool).
TEST_WORKERS ?= 2
KEEP_RESIDENT = $(PY) tools/keep_resident.py --while-pid $$$$ $(VENV) \
	$$($(PY) -c 'import sysconfig; print(sysconfig.get_path("stdlib"))') \
	$$(readlink -f $$($(CLUSTER) bin-dir)/helm $$($(CLUSTER) bin-dir)/kubectl)
test: tools  ## everything, the linters included, against the real local cluster
	rm -rf reports && mkdir -p reports
	KUBEHA_WORKERS=1 $(CLUSTER) up
	$(KEEP_RESIDENT) & $(PY) tools/machine_monitor.py --while-pid $$$$ reports/machine.log & rc=0; \
	pytest tests -m "not disruptive and not multinode" -n $(TEST_WORKERS) --dist loadfile \
	  --no-loadscope-reorder --durations=15 --junitxml=reports/junit-side-by-side.xml || rc=1; \
	scripts/each-cluster --others down || rc=1; \
	KUBEHA_WORKERS=2 $(CLUSTER) up || rc=1; \
	pytest tests -m "disruptive or multinode" --durations=10 --junitxml=reports/junit-two-workers.xml || rc=1; \
	$(PY) tools/machine_monitor.py --summary reports/machine.log; \
	$(PY) tools/test_summary.py reports/junit-*.xml; exit $$rc

down:
	scripts/each-cluster down

clean: down
	rm -rf $(VENV) reports
