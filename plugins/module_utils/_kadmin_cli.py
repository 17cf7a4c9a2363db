# Copyright: datafabric.crosscluster contributors
# Apache License 2.0 (see LICENSE)
"""kadmin.local, kadmin and ktutil, run without exposing a password (_kadmin.py decides what to run).

Facts this relies on (MIT krb5 1.20, checked against real KDCs; see tests/kdc):
- kadmin and kadmin.local in script mode (the query as positional arguments, not ``-q``) exit 1
  when the command fails; ``-q`` exits 0 whatever happens. ``ktadd`` of a missing principal still
  exits 0, so existence is always checked with ``getprinc`` first.
- ``addprinc`` and ``cpw`` without ``-pw`` read the password twice from stdin. Lines longer than
  1022 bytes are cut silently, so longer passwords are refused here.
- ``ktutil`` reads commands from stdin; ``addent -password`` reads the password as the next line,
  and ``list -k -e`` prints the derived keys. Nothing is written unless ``wkt`` is asked for. If
  ``addent`` fails, the password line is taken for a command and echoed on stderr, so enctypes and
  principals are validated first and ktutil's output is never shown whole.
- ``ktadd -norandkey`` exports the stored keys without re-keying (plain ``ktadd`` re-keys and bumps
  the kvno: never on a krbtgt). The keytab it writes is an anonymous memfd here (kadmin writes to
  ``/proc/self/fd/N``; an existing keytab must already hold the 0x0502 header), so the keys never
  reach a file system. Where memfd is unavailable, a 0700 temporary directory removed at once.
- ``cpw -keepold`` adds the new keys at the next kvno and keeps every other key. ``modprinc -kvno``
  gives every key that kvno, the old ones too (they end up duplicated at the new kvno, the newest
  first, which is the one the KDC uses). ``purgekeys -keepkvno N`` removes keys older than N.
- ``getprinc -terse``: one tab-separated line; index 7 attributes (bit mask), 8 kvno, 15 key count,
  then four fields per key: version, kvno, enctype number, salt type.

Standard library only, Python 3.8: this runs on KDC hosts.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import re
import shutil
import tempfile

from ansible_collections.datafabric.crosscluster.plugins.module_utils._errors import CrossclusterError
from ansible_collections.datafabric.crosscluster.plugins.module_utils._inputs import (
    MAX_NAME,
    MAX_SECRET,
    check_line,
    excerpt,
    scrub,
)
from ansible_collections.datafabric.crosscluster.plugins.module_utils._kadmin_formats import (
    KEYTAB_HEADER,
    normalize_enctype,
    parse_getprinc_terse,
    parse_keytab,
    parse_ktutil_keys,
)

# kadmin reads passwords into a 1024-byte buffer: 1022 bytes, the newline and the NUL.
MAX_PASSWORD_BYTES = 1022
# \Z, not $: "$" also matches before a final newline, which let "name@REALM\n" through.
_PRINCIPAL_RE = re.compile(r"[^\s\"'@]+(?:@[^\s\"'@]+)?\Z")


def check_principal(principal):
    """Refuse names that would split on ktutil's command line or kadmin's parsing."""
    check_line(principal, "principal", MAX_NAME)
    if not principal or not _PRINCIPAL_RE.match(principal):
        raise CrossclusterError("principal %s is not a name this module can manage" % excerpt(principal),
                                fix="write it as name[/instance][@REALM], without spaces or quotes")
    return principal


def check_password(password):
    """A password kadmin and ktutil will both read whole from one line of stdin."""
    if not password:
        raise CrossclusterError("password is empty", fix="give the principal's password")
    check_line(password, "password", MAX_SECRET, secret=True)
    if len(password.encode("utf-8")) > MAX_PASSWORD_BYTES:
        raise CrossclusterError("password is longer than %d bytes; kadmin would cut it silently" % MAX_PASSWORD_BYTES,
                                fix="use a shorter password")
    return password


def ktutil_script(principal, kvno, enctypes, password):
    """ktutil's stdin: one ``addent -password`` per enctype, each followed by the password, then list."""
    lines = []
    for enctype in enctypes:
        lines += ["addent -password -p %s -k %d -e %s" % (principal, kvno, enctype), password]
    lines += ["list -k -e", "quit"]
    return "\n".join(lines) + "\n"


# -- the tools --------------------------------------------------------------------------------


class Kadmin:
    """kadmin.local (``remote=False``) or kadmin with an admin keytab, in script mode.

    ``run_command(argv, data=None, environ_update=None, pass_fds=None) -> (rc, out, err)`` is
    injected: the module passes AnsibleModule.run_command, tests a subprocess runner.
    """

    def __init__(self, run_command, executable, realm=None, remote=False, admin_principal=None,
                 admin_keytab=None, kdc_profile=None, krb5_config=None, ktutil="ktutil"):
        if remote and not (admin_principal and admin_keytab):
            raise CrossclusterError("kadmin=remote needs admin_principal and admin_keytab",
                                    fix="give both, or use kadmin=local on the KDC host")
        self.run_command = run_command
        self.executable = executable
        self.realm = realm
        self.remote = remote
        self.admin_principal = admin_principal
        self.admin_keytab = admin_keytab
        self.ktutil = ktutil
        self.environ = {
            # A user's ccache would make kadmin.local act as its principal, and ktutil needs none.
            "KRB5CCNAME": "MEMORY:datafabric-crosscluster",
        }
        if kdc_profile:
            self.environ["KRB5_KDC_PROFILE"] = kdc_profile
        if krb5_config:
            self.environ["KRB5_CONFIG"] = krb5_config

    @property
    def name(self):
        return "kadmin" if self.remote else "kadmin.local"

    def argv(self, *query):
        """kadmin's argv for ``query`` (script mode: positional arguments, so errors exit 1)."""
        argv = [self.executable]
        if self.remote:
            argv += ["-p", self.admin_principal, "-k", "-t", self.admin_keytab]
        if self.realm:
            argv += ["-r", self.realm]
        return argv + list(query)

    def run(self, query, password=None, pass_fds=None):
        """(rc, out, err) of one kadmin command; a password goes twice on stdin and is scrubbed."""
        data = None
        if password is not None:
            data = "%s\n%s\n" % (password, password)
        rc, out, err = self.run_command(self.argv(*query), data=data, environ_update=self.environ, pass_fds=pass_fds)
        return rc, scrub(out or "", (password,)), scrub(err or "", (password,))

    def check(self, query, password=None, pass_fds=None):
        rc, out, err = self.run(query, password=password, pass_fds=pass_fds)
        if rc != 0:
            raise CrossclusterError("%s %s failed (rc %d): %s" % (self.name, query[0], rc, (err or out).strip()),
                                    fix=_fix_for(err or out, self))
        return out

    def getprinc(self, principal):
        """Parsed ``getprinc -terse``, or None when the principal does not exist."""
        rc, out, err = self.run(["getprinc", "-terse", principal])
        if rc != 0:
            if "does not exist" in err:
                return None
            raise CrossclusterError("%s getprinc failed (rc %d): %s" % (self.name, rc, (err or out).strip()),
                                    fix=_fix_for(err or out, self))
        return parse_getprinc_terse(out)

    def stored_keys(self, principal, kvno):
        """{enctype name: key bytes} the KDC holds for ``principal`` at ``kvno``, exported with
        ``ktadd -norandkey`` into memory (see module docstring); nothing is re-keyed."""
        data = self._export(principal)
        keys = {}
        for entry in parse_keytab(data):
            # The first of two keys at one kvno (modprinc -kvno of a principal with old keys gives
            # that) is the newer one, and the one the KDC uses.
            if entry["kvno"] == kvno:
                keys.setdefault(entry["enctype_name"], entry["key"])
        return keys

    def _export(self, principal):
        fd = _memfd()
        if fd is not None:
            try:
                os.write(fd, KEYTAB_HEADER)
                self.check(["ktadd", "-norandkey", "-k", "WRFILE:/proc/self/fd/%d" % fd, principal], pass_fds=(fd,))
                return _read_all(fd)
            finally:
                os.close(fd)
        directory = tempfile.mkdtemp(prefix=".crosscluster-kt-")  # 0700, removed whatever happens
        try:
            path = os.path.join(directory, "keytab")
            self.check(["ktadd", "-norandkey", "-k", "WRFILE:%s" % path, principal])
            with open(path, "rb") as handle:
                return handle.read()
        finally:
            shutil.rmtree(directory, ignore_errors=True)

    def derive_keys(self, principal, password, enctypes, kvno):
        """{enctype name: key bytes} that ``password`` gives ``principal`` (normal salt), by ktutil
        in memory: the password on stdin, no keytab written."""
        check_principal(principal)
        for enctype in enctypes:
            normalize_enctype(enctype)  # an addent that fails would make ktutil echo the password
        rc, out, err = self.run_command([self.ktutil], data=ktutil_script(principal, kvno, enctypes, password),
                                        environ_update=self.environ)
        derived = dict((enctype, key) for _kvno, name, enctype, key in parse_ktutil_keys(out or "")
                       if name == principal)
        if rc != 0 or sorted(derived) != sorted(enctypes):
            # Only ktutil's own error lines: any other line may be the password read as a command.
            reasons = [line for line in scrub(err or "", (password,)).splitlines()
                       if line.startswith("addent:")]
            raise CrossclusterError("ktutil could not derive the %s keys of %s%s" % (
                ", ".join(enctypes), principal, (": " + "; ".join(reasons)) if reasons else ""),
                fix="check that ktutil (krb5-user) is installed and supports these enctypes")
        return derived

    def addprinc(self, principal, password, enctypes=None, kvno=None, flags=()):
        query = ["addprinc"]
        if enctypes:
            query += ["-e", ",".join("%s:normal" % e for e in enctypes)]
        if kvno is not None:
            query += ["-kvno", str(kvno)]
        query += list(flags) + [principal]
        self.check(query, password=password)

    def cpw(self, principal, password, enctypes=None, keepold=False):
        query = ["cpw"] + (["-keepold"] if keepold else [])
        if enctypes:
            query += ["-e", ",".join("%s:normal" % e for e in enctypes)]
        self.check(query + [principal], password=password)

    def modprinc(self, principal, kvno=None, flags=()):
        query = ["modprinc"]
        if kvno is not None:
            query += ["-kvno", str(kvno)]
        self.check(query + list(flags) + [principal])

    def purgekeys(self, principal, keepkvno):
        """Remove the keys older than kvno ``keepkvno``."""
        self.check(["purgekeys", "-keepkvno", str(keepkvno), principal])

    def delprinc(self, principal):
        self.check(["delprinc", "-force", principal])


def _fix_for(message, kadmin):
    if "extract-keys" in message or "Operation requires" in message:
        return "grant %s the privileges it needs in kadm5.acl (ktadd -norandkey needs 'e')" % kadmin.admin_principal
    if "lockdown" in message.lower():
        return "the principal has lockdown_keys set, so its keys cannot be compared"
    if "Cannot contact" in message or "Cannot find KDC" in message or "admin_server" in message:
        return "check krb5_config (admin_server for the realm) and that kadmind runs"
    if kadmin.remote:
        return "check admin_principal, admin_keytab and the realm"
    return "run on the KDC host as root, and check realm and kdc_profile"


def _memfd():
    """An anonymous in-memory file kadmin can write through /proc/self/fd, or None."""
    if not hasattr(os, "memfd_create") or not os.path.isdir("/proc/self/fd"):
        return None
    try:
        return os.memfd_create("crosscluster-keytab", os.MFD_CLOEXEC)
    except OSError:
        return None


def _read_all(fd):
    os.lseek(fd, 0, os.SEEK_SET)
    chunks = []
    while True:
        chunk = os.read(fd, 65536)
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)


# Debian and RHEL put kadmin.local in sbin, which a become'd PATH may lack.
SBIN = ["/usr/sbin", "/usr/local/sbin", "/sbin"]


def runner(module):
    def run(argv, data=None, environ_update=None, pass_fds=None):
        # binary_data: the data already ends with the newlines kadmin and ktutil expect.
        return module.run_command(argv, data=data, binary_data=True, environ_update=environ_update,
                                  pass_fds=pass_fds)
    return run


def binary(module, name, package):
    path = module.get_bin_path(name, opt_dirs=SBIN)
    if not path:
        raise CrossclusterError("%s is not installed" % name, fix="install %s on the target" % package)
    return path


# Limits (inputs.check_options) of those options and of the ones both modules take: every value
# goes on kadmin's command line or ktutil's stdin, where a newline would start another command
# (digest_nonce, which only keys an HMAC here, is held to the same limits).
KADMIN_LIMITS = dict(realm=MAX_NAME, admin_principal=MAX_NAME, principal=MAX_NAME, principals=MAX_NAME,
                     password=MAX_SECRET, enctypes=MAX_NAME, attributes=MAX_NAME, digest_nonce=MAX_NAME)
# Never shown in a refusal: the nonce keys the digests of the KDC's keys, with which it would allow an
# offline guess of a weak password.
KADMIN_SECRETS = ("password", "digest_nonce")

# The options every module that talks to a KDC shares.
KADMIN_ARGS = dict(
    realm=dict(type="str"),
    kadmin=dict(type="str", default="local", choices=["local", "remote"]),
    admin_principal=dict(type="str"),
    admin_keytab=dict(type="path"),
    kdc_profile=dict(type="path"),
    krb5_config=dict(type="path"),
)


def kadmin_for(module, with_ktutil=False):
    """A Kadmin for the module's KADMIN_ARGS: kadmin.local on the KDC, or kadmin with a keytab."""
    p = module.params
    remote = p["kadmin"] == "remote"
    return Kadmin(
        runner(module),
        binary(module, "kadmin", "krb5-user") if remote else binary(module, "kadmin.local", "krb5-admin-server"),
        realm=p["realm"],
        remote=remote,
        admin_principal=p["admin_principal"],
        admin_keytab=p["admin_keytab"],
        kdc_profile=p["kdc_profile"],
        krb5_config=p["krb5_config"],
        ktutil=binary(module, "ktutil", "krb5-user") if with_ktutil else "ktutil",
    )
