"""pytest fixtures for two MIT KDC realms on 127.0.0.1.

Use them from a test module with

    pytest_plugins = ["kdc.fixtures"]

(tests/ is on sys.path through tests/conftest.py).

- ``two_realms``: a running ``kdckit.TwoRealms`` (A.TEST, B.TEST, with kadminds), one per test
  module, stopped when the module ends even if a test failed. Skips, naming the missing tools, on a
  machine without MIT krb5-kdc, krb5-admin-server and krb5-user (tests/tools/system-deps.sh).
"""

import pytest

from .kdckit import TwoRealms, missing_tools


@pytest.fixture(scope="module")
def two_realms(tmp_path_factory):
    missing = missing_tools()
    if missing:
        pytest.skip("MIT Kerberos tools missing: %s (run tests/tools/system-deps.sh as root)" % ", ".join(missing))
    kdcs = TwoRealms(str(tmp_path_factory.mktemp("kdc")))
    with kdcs:
        yield kdcs
