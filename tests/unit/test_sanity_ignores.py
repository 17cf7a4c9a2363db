"""tests/sanity/ignore-*.txt ignore one rule only, for every module alike (see tests/sanity/README.md).

ansible-test reads only the file of its own release, so the releases this machine does not test
(2.17 to 2.20) are kept identical to those it does (2.16 and the newest).
"""

import os

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SANITY = os.path.join(ROOT, "tests", "sanity")
MODULES = sorted(name for name in os.listdir(os.path.join(ROOT, "plugins", "modules")) if name.endswith(".py"))
# The only entry a non-GPL collection needs, and one that ansible-lint's sanity rule permits.
RULE = "validate-modules:missing-gplv3-license"


def _ignore_files():
    return sorted(name for name in os.listdir(SANITY) if name.startswith("ignore-") and name.endswith(".txt"))


def test_one_ignore_file_per_supported_release():
    assert _ignore_files() == ["ignore-2.%d.txt" % minor for minor in range(16, 22)]


def test_each_ignores_the_gpl_header_of_every_module_and_nothing_else():
    expected = ["plugins/modules/%s %s" % (name, RULE) for name in MODULES]
    for name in _ignore_files():
        with open(os.path.join(SANITY, name), encoding="utf-8") as handle:
            assert handle.read().splitlines() == expected, name


def test_the_reason_is_written_down():
    with open(os.path.join(SANITY, "README.md"), encoding="utf-8") as handle:
        assert RULE in handle.read()
