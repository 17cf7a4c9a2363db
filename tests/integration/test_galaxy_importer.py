"""The built tarball passes the Galaxy importer as a private Automation Hub runs it: galaxy-importer with
ansible-lint on (production profile, offline) and ansible-test off, the category tags required, no
container. The importer pins an ansible-core and an ansible-lint of its own, so it runs from a venv of
its own, .cache/venv-importer, which `make test` builds from tests/requirements-importer.txt."""

import json
import os
import re
import shutil
import subprocess

import pytest
import yaml
from ansible_run import BIN, ROOT

IMPORTER = ROOT / ".cache" / "venv-importer"
IMPORTER_STAMP = IMPORTER / ".installed"
# The importer's config file, as an Automation Hub's: what it checks, and where it may write.
CONFIG = """[galaxy-importer]
RUN_ANSIBLE_TEST = False
RUN_ANSIBLE_LINT = True
OFFLINE_ANSIBLE_LINT = True
CHECK_REQUIRED_TAGS = True
CHECK_CHANGELOG = True
ANSIBLE_LOCAL_TMP = {tmp}
TMP_ROOT_DIR = {tmp}
"""
# The warnings we accept, each for a reason. The importer names every tests/sanity/ignore-*.txt file
# that the tarball carries; Automation Hub's sanity run needs them there, and galaxy.yml keeps them in.
SANITY_IGNORE = re.compile(r"Ignore files skip ansible-test sanity tests, "
                           r"found (ignore-[0-9.]+\.txt) with \d+ statement\(s\)$")
ACCEPTED_WARNINGS = [SANITY_IGNORE]


@pytest.fixture(scope="module")
def importer_bin():
    if not IMPORTER_STAMP.is_file():
        missing = ("the Galaxy importer's venv %s is missing: `make test` builds it, or run "
                   "`make .cache/venv-importer/.installed`" % IMPORTER)
        if os.environ.get("CI") == "true":
            pytest.fail(missing)
        pytest.skip(missing)
    return IMPORTER / "bin"


def test_the_galaxy_importer_accepts_the_built_tarball(importer_bin, tmp_path):
    # Nothing of this checkout's own set-up: the importer installs the tarball where it looks for it.
    env = dict((k, v) for k, v in os.environ.items() if not k.startswith(("ANSIBLE_", "GALAXY_IMPORTER_")))
    env["ANSIBLE_HOME"] = str(tmp_path / "home")
    # A copy of the checkout with a sanity ignore file, if it has none yet: the tarball as it is once
    # tests/sanity/ holds one, and the accepted warning seen for real.
    source = tmp_path / "src"
    shutil.copytree(ROOT, source, symlinks=True, ignore=shutil.ignore_patterns(".git", ".venv", ".cache"))
    sanity = source / "tests" / "sanity"
    sanity.mkdir(exist_ok=True)
    if not list(sanity.glob("ignore-*.txt")):
        (sanity / "ignore-2.16.txt").write_text("", encoding="utf-8")
    ignore_files = sorted(path.name for path in sanity.glob("ignore-*.txt"))
    subprocess.run([str(BIN / "ansible-galaxy"), "collection", "build", "--output-path", str(tmp_path / "dist"),
                    str(source)], env=env, check=True, capture_output=True, stdin=subprocess.DEVNULL)
    [tarball] = (tmp_path / "dist").glob("datafabric-crosscluster-*.tar.gz")

    work = tmp_path / "work"
    work.mkdir()
    config = tmp_path / "galaxy-importer.cfg"
    config.write_text(CONFIG.format(tmp=work), encoding="utf-8")
    # The importer runs ansible-doc and ansible-lint by name: its own, first on PATH.
    env.update(GALAXY_IMPORTER_CONFIG=str(config), PATH="%s:%s" % (importer_bin, env["PATH"]))
    # It writes importer_result.json in the directory it runs in.
    run = subprocess.run([str(importer_bin / "python"), "-m", "galaxy_importer.main", str(tarball)], cwd=tmp_path,
                         env=env, capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=900,
                         check=False)
    output = run.stdout + run.stderr
    lines = [line.strip() for line in output.splitlines()]
    errors = [line for line in lines if line.startswith(("ERROR", "CRITICAL", "Traceback"))]
    warnings = [line[len("WARNING: "):] for line in lines if line.startswith("WARNING: ")]
    unexpected = [line for line in warnings if not any(rule.match(line) for rule in ACCEPTED_WARNINGS)]
    messages = "\n".join(line for line in lines if not line.startswith("Loading "))
    assert run.returncode == 0 and errors == [], "the importer failed:\n" + messages
    assert unexpected == [], "the importer warned (fix it, or accept it in ACCEPTED_WARNINGS):\n" + messages
    assert sorted(match.group(1) for match in map(SANITY_IGNORE.match, warnings) if match) == ignore_files, messages
    # ansible-lint did run, from the importer's venv, and completed.
    assert "Linting collection via ansible-lint" in output and "...ansible-lint run complete" in output, messages
    assert "Importer processing completed successfully" in output, messages

    with open(tmp_path / "importer_result.json", encoding="utf-8") as handle:
        result = json.load(handle)
    with open(ROOT / "galaxy.yml", encoding="utf-8") as handle:
        galaxy = yaml.safe_load(handle)
    assert result["metadata"]["authors"] == galaxy["authors"] and result["metadata"]["tags"] == galaxy["tags"]
    # Every role arrived with its README rendered (Galaxy shows it on the role's page).
    roles = dict((doc["content_name"], doc) for doc in result["docs_blob"]["contents"] if doc["content_type"] == "role")
    assert sorted(roles) == sorted(os.listdir(ROOT / "roles"))
    assert [name for name, doc in roles.items()
            if doc["readme_file"] != "README.md" or "ansible-doc -t role" not in doc["readme_html"]] == []
