"""Two real MIT Kerberos realms (A.TEST, B.TEST) on free 127.0.0.1 ports, for tests.

Built the way it was checked on this kind of machine: one directory per realm with its own
kdc.conf (``KRB5_KDC_PROFILE``), database, stash and ACL; one client krb5.conf for both realms
(``KRB5_CONFIG``); ``krb5kdc -n`` and ``kadmind -nofork`` kept as Popen children, so ``stop()``
reaps them. Every listener is bound to 127.0.0.1; nothing touches /etc/krb5kdc or the system KDC.

Secrets stay off argv: ``kdb5_util create`` reads the master password twice on stdin (its only
other way is ``-P``, which ps shows), principals get their passwords on stdin, ``kinit`` too.
The master and user passwords are random per instance.

    with TwoRealms(tmp_dir) as kdcs:
        cc = kdcs.kinit("alice@A.TEST", kdcs.a.user_password)
        kdcs.kvno(cc, "host/svc.a.test@A.TEST").returncode == 0
"""

import os
import secrets
import shlex
import shutil
import socket
import subprocess
import time

REALMS = ("A.TEST", "B.TEST")
SUPPORTED_ENCTYPES = "aes256-cts-hmac-sha1-96:normal aes128-cts-hmac-sha1-96:normal"
# Debian puts kadmin.local, kdb5_util, krb5kdc and kadmind in /usr/sbin, which a non-root PATH may lack.
_SBIN = ("/usr/sbin", "/usr/local/sbin", "/sbin")
_TOOLS = ("kdb5_util", "krb5kdc", "kadmind", "kadmin.local", "kinit", "kvno", "klist")
START_TIMEOUT = 10


class KdcError(Exception):
    """A KDC tool failed; the message carries its stderr (which never holds a password)."""


def tool(name):
    """Absolute path of a Kerberos tool, looking in the sbin directories too; None when missing."""
    path = os.pathsep.join([os.environ.get("PATH", "")] + list(_SBIN))
    return shutil.which(name, path=path)


def missing_tools():
    """The Kerberos tools this machine lacks (empty when two realms can run)."""
    return [name for name in _TOOLS if tool(name) is None]


def free_port():
    """A port free on 127.0.0.1 for both TCP and UDP (a KDC listens on both)."""
    for _attempt in range(50):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as tcp:
            tcp.bind(("127.0.0.1", 0))
            port = tcp.getsockname()[1]
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
                try:
                    udp.bind(("127.0.0.1", port))
                except OSError:
                    continue
        return port
    raise KdcError("no free port on 127.0.0.1")


def _wait_for_port(port, proc, log, timeout=START_TIMEOUT):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise KdcError("%s exited with %s before listening; log:\n%s" % (proc.args[0], proc.returncode,
                                                                             _tail(log)))
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.01)
    raise KdcError("%s is not listening on 127.0.0.1:%d after %ss; log:\n%s" % (proc.args[0], port, timeout,
                                                                                _tail(log)))


def _tail(path, lines=20):
    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            return "".join(handle.readlines()[-lines:])
    except OSError:
        return "(no log)"


class Realm:
    """One realm: its directory, ports, principals and their secrets."""

    def __init__(self, name, base):
        self.name = name
        self.dir = os.path.join(base, name.lower())
        self.kdc_conf = os.path.join(self.dir, "kdc.conf")
        self.kdc_log = os.path.join(self.dir, "kdc.log")
        self.kadmind_log = os.path.join(self.dir, "kadmind.log")
        self.port = free_port()
        self.kadmind_port = free_port()
        self.kpasswd_port = free_port()
        letter = name.split(".")[0].lower()
        self.user = "%s@%s" % ({"a": "alice", "b": "bob"}.get(letter, "user"), name)
        self.user_password = secrets.token_urlsafe(18)
        self.service = "host/svc.%s.test@%s" % (letter, name)
        self.service_keytab = os.path.join(self.dir, "svc.keytab")
        self.admin_principal = "admin/admin@%s" % name
        self.admin_keytab = os.path.join(self.dir, "admin.keytab")
        self.master_password = secrets.token_urlsafe(18)

    def kdc_conf_text(self):
        d = self.dir
        return (
            "[kdcdefaults]\n"
            "    kdc_listen = 127.0.0.1:%(port)d\n"
            "    kdc_tcp_listen = 127.0.0.1:%(port)d\n"
            "[realms]\n"
            "    %(realm)s = {\n"
            "        database_name = %(d)s/principal\n"
            "        key_stash_file = %(d)s/stash\n"
            "        acl_file = %(d)s/kadm5.acl\n"
            "        kadmind_listen = 127.0.0.1:%(kadmind)d\n"
            "        kpasswd_listen = 127.0.0.1:%(kpasswd)d\n"
            "        supported_enctypes = %(enctypes)s\n"
            "    }\n"
            "[logging]\n"
            "    kdc = FILE:%(d)s/kdc.log\n"
            "    admin_server = FILE:%(d)s/kadmind.log\n"
        ) % dict(port=self.port, realm=self.name, d=d, kadmind=self.kadmind_port, kpasswd=self.kpasswd_port,
                 enctypes=SUPPORTED_ENCTYPES)


class TwoRealms:
    """Realms A.TEST and B.TEST with running KDCs (and kadminds) under ``base``.

    Attributes: ``a``, ``b`` (Realm), ``realms`` (by name), ``krb5_config`` (the client profile),
    ``setup_seconds`` (how long create-and-start took).
    """

    def __init__(self, base, realms=REALMS, kadmind=True):
        self.base = os.path.abspath(base)
        self.kadmind = kadmind
        os.makedirs(self.base, mode=0o700, exist_ok=True)
        self.krb5_config = os.path.join(self.base, "krb5.conf")
        self.ccache_dir = os.path.join(self.base, "ccaches")
        # kadmind and kvno -k keep replay caches; inside base they go when the test ends.
        self.rcache_dir = os.path.join(self.base, "rcache")
        self.realms = dict((name, Realm(name, self.base)) for name in realms)
        self.procs = []
        self._ccaches = 0
        self.setup_seconds = None

    @property
    def a(self):
        return self.realms["A.TEST"]

    @property
    def b(self):
        return self.realms["B.TEST"]

    def realm(self, name):
        return self.realms[name]

    def __enter__(self):
        return self.start()

    def __exit__(self, *_exc):
        self.stop()

    # -- environment -------------------------------------------------------------------------

    def env(self, realm=None, **extra):
        """Environment for a Kerberos tool: our krb5.conf, the realm's kdc.conf, no inherited ccache.

        KRB5CCNAME is removed (kadmin.local would otherwise act as the ccache's principal), and
        so are keytab variables that could point a tool at someone else's keys.
        """
        env = dict((k, v) for k, v in os.environ.items()
                   if k not in ("KRB5CCNAME", "KRB5_KTNAME", "KRB5_CLIENT_KTNAME", "KRB5_KDC_PROFILE"))
        env["KRB5_CONFIG"] = self.krb5_config
        env["KRB5RCACHEDIR"] = self.rcache_dir
        if realm is not None:
            env["KRB5_KDC_PROFILE"] = self.realm(realm).kdc_conf
        env.update(extra)
        return env

    def _run(self, argv, realm=None, data=None, env=None, check=True):
        full_env = self.env(realm, **(env or {}))
        proc = subprocess.run(argv, input=data, env=full_env, capture_output=True, text=True,
                              start_new_session=True, timeout=60, check=False)
        if check and proc.returncode != 0:
            raise KdcError("%s failed (rc %d): %s" % (" ".join(argv[:3]), proc.returncode,
                                                      proc.stderr.strip() or proc.stdout.strip()))
        return proc

    # -- set up ------------------------------------------------------------------------------

    def _write(self, path, text, mode=0o600):
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)

    def _krb5_conf_text(self):
        lines = ["[libdefaults]", "    default_realm = %s" % next(iter(self.realms)),
                 "    dns_lookup_kdc = false", "    dns_lookup_realm = false", "    rdns = false",
                 "    udp_preference_limit = 1", "[realms]"]
        for realm in self.realms.values():
            lines += ["    %s = {" % realm.name, "        kdc = 127.0.0.1:%d" % realm.port,
                      "        admin_server = 127.0.0.1:%d" % realm.kadmind_port,
                      "        kpasswd_server = 127.0.0.1:%d" % realm.kpasswd_port, "    }"]
        lines.append("[domain_realm]")
        for realm in self.realms.values():
            domain = realm.name.lower()
            lines += ["    .%s = %s" % (domain, realm.name), "    %s = %s" % (domain, realm.name)]
        return "\n".join(lines) + "\n"

    def _create(self, realm):
        os.makedirs(realm.dir, mode=0o700)
        self._write(realm.kdc_conf, realm.kdc_conf_text())
        # 'e' (extract keys) is not part of '*': the module's remote mode needs ktadd -norandkey.
        self._write(os.path.join(realm.dir, "kadm5.acl"), "%s *e\n" % realm.admin_principal)
        # No -P: kdb5_util reads the master password twice from stdin when it is not given on argv.
        self._run([tool("kdb5_util"), "-r", realm.name, "create", "-s"], realm=realm.name,
                  data="%s\n%s\n" % (realm.master_password, realm.master_password))
        self.addprinc(realm.name, realm.user, realm.user_password)
        for principal, keytab in ((realm.service, realm.service_keytab),
                                  (realm.admin_principal, realm.admin_keytab)):
            self.kadmin_local(realm.name, ["addprinc", "-randkey", principal])
            self.kadmin_local(realm.name, ["ktadd", "-k", keytab, principal])

    def _spawn(self, argv, realm, log_name):
        log = open(os.path.join(realm.dir, log_name), "ab")
        try:
            proc = subprocess.Popen(argv, env=self.env(realm.name), stdin=subprocess.DEVNULL, stdout=log,
                                    stderr=subprocess.STDOUT, start_new_session=True)
        finally:
            log.close()
        self.procs.append(proc)
        return proc

    def start(self):
        started = time.monotonic()
        try:
            os.makedirs(self.ccache_dir, mode=0o700, exist_ok=True)
            os.makedirs(self.rcache_dir, mode=0o700, exist_ok=True)
            self._write(self.krb5_config, self._krb5_conf_text(), mode=0o644)
            for realm in self.realms.values():
                self._create(realm)
            waits = []
            for realm in self.realms.values():
                kdc = self._spawn([tool("krb5kdc"), "-n", "-r", realm.name], realm, "krb5kdc.out")
                waits.append((realm.port, kdc, realm.kdc_log))
                if self.kadmind:
                    kadmind = self._spawn([tool("kadmind"), "-nofork", "-r", realm.name], realm, "kadmind.out")
                    waits.append((realm.kadmind_port, kadmind, realm.kadmind_log))
            for port, proc, log in waits:
                _wait_for_port(port, proc, log)
        except BaseException:
            self.stop()
            raise
        self.setup_seconds = time.monotonic() - started
        return self

    def stop(self):
        """Stop every KDC and kadmind and reap them (Popen.wait, so no zombies). Safe to repeat."""
        for proc in self.procs:
            if proc.poll() is None:
                proc.terminate()
        for proc in self.procs:
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()

    @property
    def running(self):
        return bool(self.procs) and all(proc.poll() is None for proc in self.procs)

    @property
    def pids(self):
        return [proc.pid for proc in self.procs]

    # -- helpers -----------------------------------------------------------------------------

    def kadmin_local(self, realm, query, data=None, check=True):
        """``kadmin.local -r realm <query>`` in script mode (rc 1 on error); query is argv or a string.

        ``data`` goes to stdin (passwords: kadmin prompts twice for addprinc and cpw).
        """
        args = shlex.split(query) if isinstance(query, str) else list(query)
        return self._run([tool("kadmin.local"), "-r", realm] + args, realm=realm, data=data, check=check)

    def addprinc(self, realm, principal, password, *options):
        """Create ``principal`` with ``password`` (piped, never -pw)."""
        return self.kadmin_local(realm, ["addprinc"] + list(options) + [principal],
                                 data="%s\n%s\n" % (password, password))

    def cpw(self, realm, principal, password, *options):
        """Change ``principal``'s password (piped); bumps its kvno."""
        return self.kadmin_local(realm, ["cpw"] + list(options) + [principal], data="%s\n%s\n" % (password, password))

    def getprinc(self, realm, principal):
        """``getprinc -terse`` (one tab-separated line), or None when the principal does not exist."""
        proc = self.kadmin_local(realm, ["getprinc", "-terse", principal], check=False)
        if proc.returncode != 0:
            if "does not exist" in proc.stderr:
                return None
            raise KdcError("getprinc %s failed: %s" % (principal, proc.stderr.strip()))
        return proc.stdout.strip()

    def kvno_of(self, realm, principal):
        """The principal's kvno (field 8 of getprinc -terse), or None when it does not exist."""
        line = self.getprinc(realm, principal)
        return None if line is None else int(line.split("\t")[8])

    def new_ccache(self, name="cc"):
        self._ccaches += 1
        return "FILE:%s" % os.path.join(self.ccache_dir, "%s-%d" % (name.replace("/", "_"), self._ccaches))

    def kinit(self, principal, password, ccache=None):
        """Get a TGT for ``principal`` into a new private ccache (password on stdin); returns its name."""
        ccache = ccache or self.new_ccache(principal.split("@")[0])
        self._run([tool("kinit"), principal], data=password + "\n", env={"KRB5CCNAME": ccache})
        return ccache

    def kvno(self, ccache, service, keytab=None):
        """``kvno [-k keytab] service`` with ``ccache``; returns the CompletedProcess (no raise).

        With ``keytab`` the service ticket is also decrypted with the service's own keys, which
        proves the service would accept it.
        """
        argv = [tool("kvno")] + (["-k", keytab] if keytab else []) + [service]
        return self._run(argv, env={"KRB5CCNAME": ccache}, check=False)
