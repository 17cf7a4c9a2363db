"""What a key rotation looks like from outside: the kvno a user's tickets carry, services nobody asked
for yet, and the keys a KDC stores, read without re-keying.

For the test KDCs of tests/kdc (``kdckit.TwoRealms``).
"""

import re
import subprocess

from ansible_collections.datafabric.crosscluster.plugins.module_utils import _kadmin_cli as KC
from ansible_collections.datafabric.crosscluster.plugins.module_utils import _kadmin_formats as KF

_KVNO_RE = re.compile(r": kvno = (\d+)")


def ticket_kvno(kdcs, ccache, service):
    """The kvno of the ticket the user of ``ccache`` holds or gets for ``service`` (``kvno service``).

    For a cross-realm ``krbtgt/B@A`` it is the kvno of the key the peer KDC must still have.
    """
    got = kdcs.kvno(ccache, service)
    assert got.returncode == 0, got.stderr
    return int(_KVNO_RE.search(got.stdout).group(1))


def fresh_service(kdcs, realm, label):
    """A new service principal of ``realm``. Asking for its ticket with a ccache made earlier makes the
    KDC decrypt that ccache's cross-realm TGT again, instead of the client reusing a cached service ticket."""
    name = "host/%s.%s@%s" % (label, realm.split(".")[0].lower(), realm)
    kdcs.kadmin_local(realm, ["addprinc", "-randkey", name])
    return name


def kadmin(kdcs, realm):
    """The module's own Kadmin (kadmin.local) on ``realm``'s test KDC."""

    def run(argv, data=None, environ_update=None, pass_fds=None):
        env = kdcs.env(realm, **(environ_update or {}))
        proc = subprocess.run(argv, input=data, env=env, capture_output=True, text=True,
                              pass_fds=pass_fds or (), check=False)
        return proc.returncode, proc.stdout, proc.stderr

    return KC.Kadmin(run, "kadmin.local", realm=realm)


def stored_keys(kdcs, realm, principal, kvno):
    """{enctype: key bytes} ``realm``'s KDC holds for ``principal`` at ``kvno`` (ktadd -norandkey)."""
    return kadmin(kdcs, realm).stored_keys(principal, kvno)


def key_kvnos(kdcs, realm, principal):
    """Every kvno ``realm``'s KDC holds keys of for ``principal``, newest first."""
    info = KF.parse_getprinc_terse(kdcs.getprinc(realm, principal))
    return sorted(set(key["kvno"] for key in info["keys"]), reverse=True)
