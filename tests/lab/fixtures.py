"""pytest fixtures that give tests simulated clusters.

Use them from a test module with

    pytest_plugins = ["lab.fixtures"]

(tests/ is on sys.path through tests/conftest.py). Fixtures:

- ``lab_local``: a 2x3 local-mode lab (no root needed), one per test module.
- ``lab_ssh``: a 2x3 ssh-mode lab (network namespaces), one per test module; skips with the reason
  when this machine cannot run one (not root, no ip/nsenter/sshd).
- ``make_lab``: a factory, ``make_lab(clusters=2, nodes=3, mode="local", cldbs=1, zones=None, fips=None)``
  -> an up Lab, torn down when the test ends; ``fips=["b"]`` makes cluster b a FIPS cluster,
  ``fips=["a2"]`` node a2 alone a FIPS node.

Each lab lives in a pytest temporary directory; `down` runs even when the test fails.
"""

import pytest

from .labkit import Lab, ssh_mode_unavailable


def _skip_without_ssh_mode():
    reason = ssh_mode_unavailable()
    if reason:
        pytest.skip(reason)


@pytest.fixture(scope="module")
def lab_local(tmp_path_factory):
    lab = Lab(str(tmp_path_factory.mktemp("lab-local")), clusters=2, nodes=3, mode="local")
    with lab.up():
        yield lab


@pytest.fixture(scope="module")
def lab_ssh(tmp_path_factory):
    _skip_without_ssh_mode()
    lab = Lab(str(tmp_path_factory.mktemp("lab-ssh")), clusters=2, nodes=3, mode="ssh")
    with lab.up():
        yield lab


@pytest.fixture
def make_lab(tmp_path_factory):
    labs = []

    def make(clusters=2, nodes=3, mode="local", cldbs=1, zones=None, fips=None, credential_stores=False,
             store_passwords=True):
        if mode == "ssh":
            _skip_without_ssh_mode()
        lab = Lab(str(tmp_path_factory.mktemp("lab")), clusters, nodes, mode, cldbs, zones, fips,
                  credential_stores, store_passwords)
        labs.append(lab)
        return lab.up()

    yield make
    for lab in labs:
        lab.down()
