"""A stand-in for pip's get-pip.py, for ``ansible-test --venv`` on a machine that cannot reach bootstrap.pypa.io.

ansible-test runs ``<venv python> get_pip_<version>.py <pip install arguments>`` to put pip in each venv it
makes. This installs the standard library's own pip wheel (no network), then runs pip with those
arguments, so the pinned pip comes from the machine's usual package index (PyPI or its mirror).
tests/tools/sanity.py copies it into ~/.ansible/test/cache only when no script is there yet.
"""

import ensurepip
import os
import subprocess
import sys

ensurepip.bootstrap(upgrade=True)
# ensurepip points PIP_CONFIG_FILE at /dev/null while it runs and leaves it set; the install below
# must see the machine's pip settings (its index or mirror) again.
os.environ.pop("PIP_CONFIG_FILE", None)
# get-pip.py's own options; pip install does not know them.
ARGS = [arg for arg in sys.argv[1:] if arg not in ("--no-setuptools", "--no-wheel")]
sys.exit(subprocess.call([sys.executable, "-m", "pip", "install", *ARGS]))
