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
# The newest of them: ls sorts by name, which put 3.12 before 3.13.
PYTHON_NEWEST ?= $(shell ls -d $$HOME/.pyenv/versions/3.1[2-9]*/bin/python3 2>/dev/null | sort -V | tail -1)

export PATH := $(CURDIR)/$(BIN):$(PATH)
export ANSIBLE_COLLECTIONS_PATH := $(COLLECTIONS)
export ANSIBLE_HOME := $(CURDIR)/.cache/ansible-home
export ANSIBLE_NOCOLOR := 1

.PHONY: help deps system-deps link lint unit integration test newest sanity docs demo bench changelog build clean

help:
	@echo "make demo   build the lab, run the main playbook, verify, print a summary"
	@echo "make test   lint and the whole test suite"
	@echo "make lint | unit | integration | sanity | bench | build | clean"

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

unit: deps
	$(BIN)/pytest -q -n $(PYTEST_WORKERS) tests/unit

integration: deps
	$(BIN)/pytest -q -n $(PYTEST_WORKERS) tests/integration

# pytest exits 5 when it collects nothing; with -e and pipefail that fails the target loudly.
# The tests record what they tried; the report writes docs/reliability.md and fails the target
# when the run fell short (a leak, a changed file, too few bad inputs or kill points).
test: lint docs
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

# ansible-test sanity, what Galaxy's import and Red Hat's certification run, on the oldest ansible-core
# (on SANITY_PYTHON) and on the newest (on its own Python). ansible-test wants the collection at
# ansible_collections/<namespace>/<name>/ in a git work tree, so it runs in a copy of the last commit
# (tests/sanity/README.md). SANITY_ARGS picks tests, e.g. SANITY_ARGS="--test pylint". Each run
# installs its test requirements into venvs under ~/.ansible/test; the variables above are Ansible's
# own settings for this tree and must not reach it.
SANITY_COPY := $(CURDIR)/.cache/sanity/ansible_collections/datafabric/crosscluster
SANITY_PYTHON ?= 3.12
# ansible-test looks for python$(SANITY_PYTHON) on PATH; pyenv's shim of it fails unless that version
# is pyenv's global one, so its own bin directory goes first when pyenv has it.
SANITY_PYTHON_DIR ?= $(shell ls -d $$HOME/.pyenv/versions/$(SANITY_PYTHON).*/bin 2>/dev/null | sort -V | tail -1)
SANITY_ENV := env -u ANSIBLE_COLLECTIONS_PATH -u ANSIBLE_HOME PATH=$(if $(SANITY_PYTHON_DIR),$(SANITY_PYTHON_DIR):)$(PATH)
sanity: deps $(NEWEST_STAMP)
	rm -rf .cache/sanity && mkdir -p $(SANITY_COPY)
	git archive HEAD | tar -x -C $(SANITY_COPY)
	cd $(SANITY_COPY) && git init -q && git add -A && git -c user.name=sanity -c user.email=sanity@localhost commit -qm sanity
	cd $(SANITY_COPY) && $(SANITY_ENV) $(CURDIR)/$(BIN)/ansible-test sanity --venv --python $(SANITY_PYTHON) \
		--color no $(SANITY_ARGS)
	cd $(SANITY_COPY) && $(SANITY_ENV) $(CURDIR)/$(NEWEST)/bin/ansible-test sanity --venv \
		--python $$($(CURDIR)/$(NEWEST)/bin/python -c 'import sys; print("%d.%d" % sys.version_info[:2])') \
		--color no $(SANITY_ARGS)

demo: deps
	$(BIN)/python tests/demo.py $(DEMO_ARGS)

# Timings are reported as ratios and never asserted: they belong here, not in the tests. The default
# run puts the main playbook side by side with tests/baseline/crosscluster.yml at 3, 10 and 25 nodes
# per cluster, then builds the 16-cluster mesh, both on the ssh-mode lab (root; writes
# docs/performance.md, .cache/bench/compare.json and mesh.json; fetches community.general for the
# baseline from PyPI once). BENCH_ARGS passes options, e.g. BENCH_ARGS="--compare 3 --mesh 0".
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
