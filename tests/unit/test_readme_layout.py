"""The README's layout section names what the tree holds, so that it cannot fall behind."""

import os
import re
import subprocess

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
# Files every collection has, that the layout does not need to explain.
OBVIOUS = {"Makefile", "README.md", "galaxy.yml", "requirements.txt", "requirements-dev.txt", "ruff.toml",
           "CHANGELOG.rst"}


def layout():
    with open(os.path.join(ROOT, "README.md"), encoding="utf-8") as handle:
        text = handle.read()
    return re.search(r"\nLayout[^\n]*:\n\n```\n(.*?)\n```", text, re.S).group(1)


def tracked():
    out = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    return out.split()


def test_every_top_level_entry_plugin_kind_and_module_util_is_in_the_layout():
    text = layout()
    files = tracked()
    top = sorted(set(f.split("/")[0] for f in files) - OBVIOUS)
    missing = [name for name in top if not name.startswith(".") and name not in text]
    missing += ["plugins/%s/" % kind for kind in sorted(set(f.split("/")[1] for f in files
                                                            if f.startswith("plugins/") and f.count("/") > 1))
                if "plugins/%s/" % kind not in text]
    missing += ["tests/%s/" % kind for kind in sorted(set(f.split("/")[1] for f in files
                                                          if f.startswith("tests/") and f.count("/") > 1))
                if "tests/%s/" % kind not in text]
    # Private to the collection, hence the leading underscore; the layout names them without it.
    utils = sorted(os.path.splitext(os.path.basename(f))[0].lstrip("_") for f in files
                   if f.startswith("plugins/module_utils/") and f.endswith(".py"))
    missing += ["module_utils/%s" % name for name in utils
                if name != "__init__" and not re.search(r"\b%s\b" % name, text)]
    assert missing == [], "the README's layout does not name %s" % ", ".join(missing)
