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

# Debian packages the project needs (the cluster's runtime, image building, load tools).
DEBS := containerd runc containernetworking-plugins iptables ipset conntrack iproute2 util-linux \
        etcd-server buildah busybox-static socat curl wrk python3-venv

.PHONY: help deps venv tools cluster demo test lint docs unit down clean
help:
	@sed -n 's/^#   //p' Makefile

deps:  ## Debian packages, installed only when one is missing
	@missing=$$(for p in $(DEBS); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  echo "[deps] installing:" $$missing; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	fi

$(VENV)/.installed: requirements.txt
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install -q -r requirements.txt
	touch $@
venv: $(VENV)/.installed

tools: deps venv  ## Kubernetes, helm, CoreDNS and the images, built once into the cache
	$(CLUSTER) build

# Every cluster of inventories/local (scripts/local-clusters lists them), side by side.
EACH_CLUSTER = scripts/local-clusters | while read -r name index; do \
	  KUBEHA_CLUSTER=$$name KUBEHA_CLUSTER_INDEX=$$index $(1) </dev/null || exit 1; done

cluster: tools
	$(call EACH_CLUSTER,$(CLUSTER) up)

demo: cluster
	ansible-playbook playbooks/deploy.yml
	@./scripts/show-endpoint.sh

lint: venv tools  ## the offline part of the suite: yamllint, ansible-lint, helm lint, schema, docs drift
	pytest -m "not cluster" tests

docs: venv  ## regenerate docs/roles/ from the roles' argument_specs and the chart README's values table
	$(PY) tools/role_docs.py
	$(PY) tools/chart_values_doc.py

# The suite runs in two phases: first the tests that can share the cluster, on TEST_WORKERS
# pytest-xdist workers (each module on one worker; 0 runs them in this process, one after the
# other), then the disruptive ones (node stop, API restart, drain, load counts) one at a time, so
# that they neither disturb nor are disturbed by the rest. Both phases always run; the summary line
# adds them up. The default stays 0 until side-by-side runs have been measured on the 2-core CI
# machine; TEST_WORKERS=3 make test runs the first phase on three workers.
TEST_WORKERS ?= 0
test: cluster  ## everything, the linters included, against the real local cluster
	rm -rf reports && mkdir -p reports
	rc=0; \
	pytest tests -m "not disruptive" -n $(TEST_WORKERS) --dist loadgroup --no-loadscope-reorder \
	  --junitxml=reports/junit-side-by-side.xml || rc=1; \
	pytest tests -m disruptive --junitxml=reports/junit-disruptive.xml || rc=1; \
	$(PY) tools/test_summary.py reports/junit-*.xml; exit $$rc

down:
	$(call EACH_CLUSTER,$(CLUSTER) down)

clean: down
	rm -rf $(VENV) reports
