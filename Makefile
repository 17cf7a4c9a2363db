# The two commands of the README: `make demo` and `make test`. Everything else serves them.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
COLLECTIONS := $(CURDIR)/.cache/collections
COLLECTION_LINK := $(COLLECTIONS)/ansible_collections/datafabric/crosscluster
PYTEST_WORKERS ?= 2
# The newest ansible-core, in a venv of its own: it needs Python 3.12 or later (pyenv's, on this image).
NEWEST := .cache/venv-newest
NEWEST_STAMP := $(NEWEST)/.installed
# The Galaxy importer pins its own ansible-core and ansible-lint: a venv of its own too.
IMPORTER := .cache/venv-importer
IMPORTER_STAMP := $(IMPORTER)/.installed
# The newest of them: ls sorts by name, which put 3.12 before 3.13.
PYTHON_NEWEST ?= $(shell ls -d $$HOME/.pyenv/versions/3.1[2-9]*/bin/python3 2>/dev/null | sort -V | tail -1)
# ansible-test sanity on the oldest ansible-core runs under Python 3.12, as in Automation Platform's
# execution environments and Red Hat's certification; the newest runs it from $(NEWEST).
PYTHON_312 ?= $(shell ls -d $$HOME/.pyenv/versions/3.12*/bin/python3 2>/dev/null | sort -V | tail -1)
SANITY_OLDEST := .cache/venv-sanity-oldest
SANITY_OLDEST_STAMP := $(SANITY_OLDEST)/.installed

export PATH := $(CURDIR)/$(BIN):$(PATH)
export ANSIBLE_COLLECTIONS_PATH := $(COLLECTIONS)
export ANSIBLE_HOME := $(CURDIR)/.cache/ansible-home
export ANSIBLE_NOCOLOR := 1

.PHONY: help deps system-deps link lint sanity sanity-oldest sanity-newest unit integration test newest docs demo bench \
	changelog build clean

help:
	@echo "make demo   build the lab, run the main playbook, verify, print a summary"
	@echo "make test   lint and the whole test suite"
	@echo "make lint | sanity | unit | integration | newest | bench | build | clean"

$(STAMP): requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -r requirements-dev.txt
	touch $@

$(NEWEST_STAMP): tests/requirements-newest.txt
	@[ -n "$(PYTHON_NEWEST)" ] || { echo "make newest: no Python 3.12 or 3.13 found; set PYTHON_NEWEST" >&2; exit 1; }
	$(PYTHON_NEWEST) -m venv $(NEWEST)
	$(NEWEST)/bin/pip install -q --upgrade pip
	$(NEWEST)/bin/pip install -q --upgrade -r tests/requirements-newest.txt
	touch $@

$(SANITY_OLDEST_STAMP): tests/requirements-sanity-oldest.txt
	@[ -n "$(PYTHON_312)" ] || { echo "make sanity: no Python 3.12 found; set PYTHON_312" >&2; exit 1; }
	$(PYTHON_312) -m venv $(SANITY_OLDEST)
	$(SANITY_OLDEST)/bin/pip install -q --upgrade -r tests/requirements-sanity-oldest.txt
	touch $@

$(IMPORTER_STAMP): tests/requirements-importer.txt
	$(PYTHON) -m venv $(IMPORTER)
	$(IMPORTER)/bin/pip install -q --upgrade pip
	$(IMPORTER)/bin/pip install -q --upgrade -r tests/requirements-importer.txt
	touch $@

system-deps:
	bash tests/tools/system-deps.sh

deps: $(STAMP) system-deps link

# Ansible finds collections by path; a link makes this checkout the installed copy.
link:
	@mkdir -p $(dir $(COLLECTION_LINK))
	@[ -L $(COLLECTION_LINK) ] || ln -s $(CURDIR) $(COLLECTION_LINK)

lint: deps
	$(BIN)/ruff check .
	cd $(COLLECTION_LINK) && $(CURDIR)/$(BIN)/ansible-lint --offline --profile production
	$(BIN)/antsibull-docs lint-collection-docs --plugin-docs $(COLLECTION_LINK)

# ansible-test sanity, every test it runs by default, on the oldest and the newest ansible-core, side
# by side (each is mostly one process at a time). tests/tools/sanity.py copies the checkout into the
# ansible_collections/ tree ansible-test wants and writes the offline pip bootstrap it needs.
# SANITY_ARGS passes options to ansible-test, e.g. SANITY_ARGS="--test pylint".
sanity:
	$(MAKE) --no-print-directory -j2 --output-sync=target sanity-oldest sanity-newest

sanity-oldest: $(SANITY_OLDEST_STAMP)
	$(SANITY_OLDEST)/bin/python tests/tools/sanity.py $(SANITY_ARGS)

sanity-newest: $(NEWEST_STAMP)
	$(NEWEST)/bin/python tests/tools/sanity.py $(SANITY_ARGS)

unit: deps
	$(BIN)/pytest -q -n $(PYTEST_WORKERS) tests/unit

integration: deps
	$(BIN)/pytest -q -n $(PYTEST_WORKERS) tests/integration

# pytest exits 5 when it collects nothing; with -e and pipefail that fails the target loudly.
# The tests record what they tried; the report writes docs/reliability.md and fails the target
# when the run fell short (a leak, a changed file, too few bad inputs or kill points).
test: lint docs sanity $(IMPORTER_STAMP)
	rm -rf .cache/reliability
	$(BIN)/pytest -q -n $(PYTEST_WORKERS) tests/unit tests/integration
	$(MAKE) --no-print-directory newest
	$(BIN)/python tests/tools/reliability_report.py

# The whole suite above runs on the oldest ansible-core in requires_ansible (requirements-dev.txt
# pins it); here the module tests, the main playbook on the lab and the leak scan of the roles' argument
# validation failures run on the newest that installs.
newest: deps $(NEWEST_STAMP)
	$(NEWEST)/bin/python -m pytest -q -n $(PYTEST_WORKERS) -p no:cacheprovider tests/integration/test_newest_core.py \
		tests/integration/test_argspec_leaks.py tests/integration/test_module_*.py

demo: deps
	$(BIN)/python tests/demo.py $(DEMO_ARGS)

# Timings are reported as ratios and never asserted: they belong here, not in the tests. The default
# run puts the main playbook side by side with tests/baseline/crosscluster.yml at 3, 10 and 25 nodes
# per cluster, then builds the 16-cluster mesh, both on the ssh-mode lab (root; writes
# docs/performance.md, .cache/bench/compare.json and mesh.json; fetches community.general for the
# baseline from PyPI once); it also plans 16-cluster meshes of 250 and 1,000 nodes in pure Python
# (--fleet, fleet.json) and compares the controller CPU per node of local-mode labs of 16 x 10 and
# 16 x 30 (--fleet-lab, fleet-lab.json). BENCH_ARGS passes options, e.g. BENCH_ARGS="--compare 3 --mesh 0".
bench: deps
	$(BIN)/python tests/bench.py $(BENCH_ARGS)

# The reference docs, from the plugins' and roles' own docs, in .cache/docs/html; any warning fails.
DOCS := .cache/docs
docs: deps
	rm -rf $(DOCS) && mkdir -p $(DOCS)/rst && chmod og-w $(DOCS)/rst
	cp docs/reference/conf.py $(DOCS)/ && cp docs/reference/index.rst $(DOCS)/rst/
	$(BIN)/antsibull-docs --config-file docs/reference/antsibull-docs.cfg collection --use-current \
		--fail-on-error --dest-dir $(DOCS)/rst datafabric.crosscluster
	$(BIN)/sphinx-build -q -W --keep-going -c $(DOCS) $(DOCS)/rst $(DOCS)/html

# The release notes of galaxy.yml's version from changelogs/fragments (a test checks they are current).
changelog: deps
	$(BIN)/python tests/tools/changelog.py

build: deps
	$(BIN)/ansible-galaxy collection build --force --output-path .cache/dist .

clean:
	rm -rf .cache .pytest_cache .ruff_cache
