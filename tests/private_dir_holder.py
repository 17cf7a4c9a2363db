"""A process that holds a maprlogin private directory, as a module does mid-run (for the tests that
kill one and check what the next run removes).

It runs the collection's own private_ticketfile() in ``tmpdir``, writes a ticket file there as
maprlogin would, says where, and waits until its stdin closes (then leaves the ``with`` normally).
"""

import os
import subprocess
import sys

from conftest import COLLECTIONS

HOLDER = """
import sys, tempfile
tempfile.tempdir = sys.argv[1]
from ansible_collections.datafabric.crosscluster.plugins.module_utils._maprlogin import private_ticketfile
with private_ticketfile() as path:
    with open(path, "w") as handle:
        handle.write("a.example c2VjcmV0\\n")
    print(path, flush=True)
    sys.stdin.read()
"""


def start_holder(tmpdir):
    """(the holder's Popen, its private directory); the caller ends the process."""
    proc = subprocess.Popen([sys.executable, "-c", HOLDER, str(tmpdir)], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, text=True, env=dict(os.environ, PYTHONPATH=COLLECTIONS))
    ticket = proc.stdout.readline().strip()
    if not os.path.isfile(ticket):
        proc.kill()
        proc.wait()
        raise RuntimeError("the holder did not make its ticket file")
    return proc, os.path.dirname(ticket)
