"""krb5_principal through Ansible against two real MIT KDCs (tests/kdc), and cross-realm trust end to end.

Trust A -> B is krbtgt/B.TEST@A.TEST in both databases with the same password, kvno and enctypes;
it is proven the way a user would: alice@A.TEST gets a ticket for host/svc.b.test@B.TEST, which B's
service keytab decrypts (``kvno -k``).
"""

import os
import secrets
import subprocess
import tempfile
import time

from ansible_run import assert_arguments_censored, env_lookup, run_playbook
from procwatch import ProcessWatch
from tickets import fresh_service, key_kvnos, ticket_kvno

from ansible_collections.datafabric.crosscluster.plugins.module_utils import _kadmin_cli as KC

pytest_plugins = ["kdc.fixtures"]

TRUST = "krbtgt/B.TEST@A.TEST"
ENCTYPES = ["aes256-cts-hmac-sha1-96", "aes128-cts-hmac-sha1-96"]
MODULE = "datafabric.crosscluster.krb5_principal"


def password():
    # Spaces, quotes and a shell character: read whole from stdin, and split by nothing.
    return "trust pw 'q' \"dq\" $X-%s" % secrets.token_urlsafe(12)


def task(kdcs, kdc, name=None, **args):
    """A krb5_principal task against the KDC of realm ``kdc``."""
    args.setdefault("principal", TRUST)
    args.setdefault("realm", kdc)
    args.setdefault("kdc_profile", kdcs.realm(kdc).kdc_conf)
    args.setdefault("krb5_config", kdcs.krb5_config)
    if args.get("state", "present") == "present":
        args.setdefault("password", env_lookup("PW"))
    return {"name": name or kdc, MODULE: args}


def both(kdcs, **args):
    return [task(kdcs, "A.TEST", **args), task(kdcs, "B.TEST", **args)]


def run(tasks, pw, **kwargs):
    play = {"name": "krb5_principal", "hosts": "localhost", "gather_facts": False, "tasks": tasks}
    return run_playbook([play], secret_env={"PW": pw}, **kwargs)


def cross_realm(kdcs):
    """alice@A.TEST asks for B's service, with a fresh ccache (no cached cross-realm TGT)."""
    ccache = kdcs.kinit(kdcs.a.user, kdcs.a.user_password)
    return kdcs.kvno(ccache, kdcs.b.service, keytab=kdcs.b.service_keytab)


def results(result):
    return [r["result"] for r in result.results]


def remove(kdcs, principal):
    for realm in ("A.TEST", "B.TEST"):
        kdcs.kadmin_local(realm, ["delprinc", "-force", principal], check=False)


def test_cross_realm_trust_lifecycle(two_realms):
    kdcs = two_realms
    remove(kdcs, TRUST)
    pw = password()
    before = cross_realm(kdcs)
    assert before.returncode != 0 and "Server krbtgt/B.TEST@A.TEST not found" in before.stderr

    # Create in both KDCs, same password and kvno.
    a, b = results(run(both(kdcs, kvno=3, enctypes=ENCTYPES), pw).expect_ok())
    for created in (a, b):
        assert created["changed"] and created["changes"] == ["create"] and not created["keys_match"]
        assert created["kvno"] == 3 and created["enctypes"] == ENCTYPES and created["attributes"] == []
        assert created["principal"] == TRUST
    for realm in ("A.TEST", "B.TEST"):
        assert kdcs.kvno_of(realm, TRUST) == 3
        assert "\t0\t3\t" in kdcs.getprinc(realm, TRUST)  # attributes 0: no requires_preauth
    trusted = cross_realm(kdcs)
    assert trusted.returncode == 0 and "keytab entry valid" in trusted.stdout, trusted.stderr

    # A second run changes nothing.
    a, b = results(run(both(kdcs, kvno=3, enctypes=ENCTYPES), pw).expect_ok())
    assert not a["changed"] and not b["changed"] and a["keys_match"] and b["keys_match"]
    assert a["changes"] == b["changes"] == [] and a["kvno"] == b["kvno"] == 3

    # Another password on B's side, kvno kept: the trust breaks; the module sees it and repairs it.
    kdcs.cpw("B.TEST", TRUST, password(), "-e", "aes256-cts-hmac-sha1-96:normal,aes128-cts-hmac-sha1-96:normal")
    kdcs.kadmin_local("B.TEST", ["modprinc", "-kvno", "3", TRUST])
    broken = cross_realm(kdcs)
    assert broken.returncode != 0, broken.stdout
    a, b = results(run(both(kdcs, kvno=3, enctypes=ENCTYPES), pw).expect_ok())
    assert not a["changed"] and a["keys_match"]
    assert b["changed"] and not b["keys_match"] and b["changes"] == ["keys"] and b["kvno"] == 3
    repaired = cross_realm(kdcs)
    assert repaired.returncode == 0, repaired.stderr

    # A kvno mismatch: detected and set back, without touching the keys.
    kdcs.kadmin_local("B.TEST", ["modprinc", "-kvno", "7", TRUST])
    assert cross_realm(kdcs).returncode != 0
    a, b = results(run(both(kdcs, kvno=3, enctypes=ENCTYPES), pw).expect_ok())
    assert not a["changed"]
    assert b["changed"] and b["keys_match"] and b["changes"] == ["kvno 7 -> 3"] and b["kvno"] == 3
    assert cross_realm(kdcs).returncode == 0

    # Check mode (with diff) reports what differs and changes nothing.
    kdcs.cpw("B.TEST", TRUST, password())
    kdcs.kadmin_local("B.TEST", ["modprinc", "+requires_preauth", TRUST])
    getprinc_before = [kdcs.getprinc(r, TRUST) for r in ("A.TEST", "B.TEST")]
    checked = run(both(kdcs, kvno=3, enctypes=ENCTYPES), pw, check=True, diff=True).expect_ok()
    a, b = results(checked)
    assert not a["changed"]
    assert b["changed"] and not b["keys_match"]
    assert b["changes"] == ["keys", "kvno 4 -> 3", "attributes -requires_preauth"]
    assert b["kvno"] == 3 and b["attributes"] == []
    assert "kvno: 4" in b["diff"]["before"] and "kvno: 3" in b["diff"]["after"]
    assert "REQUIRES_PRE_AUTH" in b["diff"]["before"] and "keys_match: True" in b["diff"]["after"]
    assert [kdcs.getprinc(r, TRUST) for r in ("A.TEST", "B.TEST")] == getprinc_before
    a, b = results(run(both(kdcs, kvno=3, enctypes=ENCTYPES), pw).expect_ok())
    assert b["changed"] and b["changes"] == ["keys", "kvno 4 -> 3", "attributes -requires_preauth"]
    assert cross_realm(kdcs).returncode == 0

    # Absent removes the trust: the ticket request fails as before; a second run changes nothing.
    a, b = results(run(both(kdcs, state="absent"), pw).expect_ok())
    assert a["changed"] and b["changed"] and a["changes"] == ["delete"]
    assert kdcs.getprinc("A.TEST", TRUST) is None and kdcs.getprinc("B.TEST", TRUST) is None
    gone = cross_realm(kdcs)
    assert gone.returncode != 0 and "not found" in gone.stderr
    a, b = results(run(both(kdcs, state="absent"), pw).expect_ok())
    assert not a["changed"] and not b["changed"] and a["changes"] == []


def test_without_kvno_or_enctypes_the_kdc_decides_and_stays(two_realms):
    kdcs = two_realms
    principal = "host/plain.a.test@A.TEST"
    remove(kdcs, principal)
    pw = password()
    [first] = results(run([task(kdcs, "A.TEST", principal=principal)], pw).expect_ok())
    assert first["changed"] and first["kvno"] == 1 and first["enctypes"] == ENCTYPES and first["attributes"] == []
    [second] = results(run([task(kdcs, "A.TEST", principal=principal)], pw).expect_ok())
    assert not second["changed"] and second["keys_match"]
    # A new password without a kvno: cpw gives the next kvno, and says so.
    [third] = results(run([task(kdcs, "A.TEST", principal=principal)], password()).expect_ok())
    assert third["changed"] and third["changes"] == ["keys"] and third["kvno"] == 2


def _new_files(root, before):
    found = []
    for entry in set(os.listdir(root)) - before:
        path = os.path.join(root, entry)
        if os.path.isfile(path) and not os.path.islink(path):
            found.append(path)
        for dirpath, _dirs, files in os.walk(path):
            found += [os.path.join(dirpath, f) for f in files]
    return found


def _files_holding(paths, needle):
    hits = []
    for path in paths:
        try:
            if os.path.isfile(path) and not os.path.islink(path) and os.path.getsize(path) < 50_000_000:
                with open(path, "rb") as handle:
                    if needle in handle.read():
                        hits.append(path)
        except OSError:
            continue
    return hits


def test_the_password_is_never_on_a_command_line_in_output_or_in_a_file(two_realms):
    kdcs = two_realms
    principal = "krbtgt/A.TEST@B.TEST"
    remove(kdcs, principal)
    pw, other = password(), password()
    tmp = tempfile.gettempdir()
    tmp_before = set(os.listdir(tmp))
    tasks = both(kdcs, principal=principal, kvno=2, enctypes=ENCTYPES)
    with ProcessWatch() as watch:
        created = run(tasks, pw, verbosity=4).expect_ok()  # addprinc
        checked = run(tasks, other, verbosity=4, check=True, diff=True).expect_ok()  # ktadd -norandkey, ktutil
        changed = run(tasks, other, verbosity=4).expect_ok()  # cpw, modprinc
        time.sleep(0.1)
    assert all(r["changed"] for r in results(created) + results(checked) + results(changed))
    assert watch.ps_samples and watch.seen("ansible-playbook")
    # The sampler saw the KDC tools run (so the check below had something to look at).
    assert watch.seen("kadmin.local") or watch.seen("ktutil"), sorted(watch.cmdlines)[:50]
    for secret in (pw, other):
        assert not [s for s in watch.ps_samples if secret in s]
        assert not watch.seen(secret)
        for result in (created, checked, changed):
            assert secret not in result.output
            assert result.files_containing(secret) == []
        assert _files_holding(_new_files(tmp, tmp_before), secret.encode()) == []
        # The KDC side: logs and everything else the realms keep.
        kdc_files = [os.path.join(d, f) for d, _s, fs in os.walk(kdcs.base) for f in fs]
        assert _files_holding(kdc_files, secret.encode()) == []
    # The module's own fallback directory only: the kerberos_trust role's verify step, run by other test
    # files at the same time, keeps a .crosscluster-krb5cc- ccache in the same /tmp for a moment.
    assert [n for n in set(os.listdir(tmp)) - tmp_before if n.startswith(".crosscluster-kt-")] == []
    assert_arguments_censored(created.output)


def test_remote_kadmin_with_an_admin_keytab(two_realms):
    kdcs = two_realms
    principal = "host/remote.b.test@B.TEST"
    remove(kdcs, principal)
    pw = password()
    remote = dict(principal=principal, kadmin="remote", admin_principal=kdcs.b.admin_principal,
                  admin_keytab=kdcs.b.admin_keytab, kdc_profile=None)
    first_args = dict(remote, enctypes=["aes256-cts"], attributes=["+requires_preauth", "+ok_as_delegate"])
    [first] = results(run([task(kdcs, "B.TEST", **first_args)], pw).expect_ok())
    assert first["changed"] and first["enctypes"] == ["aes256-cts-hmac-sha1-96"]
    assert first["attributes"] == ["REQUIRES_PRE_AUTH", "OK_AS_DELEGATE"]
    assert '"admin/admin@B.TEST"' in kdcs.getprinc("B.TEST", principal)  # it went through kadmind
    [again] = results(run([task(kdcs, "B.TEST", **first_args)], pw).expect_ok())
    assert not again["changed"] and again["keys_match"]
    # Asking for both enctypes re-keys: the stored set must be exactly the one asked for.
    [wider] = results(run([task(kdcs, "B.TEST", enctypes=ENCTYPES, **remote)], pw).expect_ok())
    assert wider["changed"] and wider["changes"] == ["keys"] and wider["enctypes"] == ENCTYPES
    assert wider["attributes"] == ["REQUIRES_PRE_AUTH", "OK_AS_DELEGATE"]  # flags not listed stay
    [gone] = results(run([task(kdcs, "B.TEST", state="absent", **remote)], pw).expect_ok())
    assert gone["changed"] and kdcs.getprinc("B.TEST", principal) is None


def test_failures_are_clear_and_never_show_the_password(two_realms):
    kdcs = two_realms
    pw = password()
    missing = run([task(kdcs, "A.TEST", principal="x@A.TEST", password=None)], pw)
    assert "password" in missing.expect_failed().msg
    bad_enctype = run([task(kdcs, "A.TEST", principal="x@A.TEST", enctypes=["des-cbc-crc"])], pw).expect_failed()
    assert "unknown enctype 'des-cbc-crc'" in bad_enctype.msg
    wrong_realm = run([task(kdcs, "A.TEST", principal="x@A.TEST", realm="NOPE.TEST")], pw, verbosity=4)
    assert "kadmin.local getprinc failed" in wrong_realm.expect_failed().msg
    two_lines = run([task(kdcs, "A.TEST", principal="x@A.TEST")], "first\nsecond").expect_failed()
    assert "line break" in two_lines.msg
    no_keytab = run([task(kdcs, "B.TEST", principal="x@B.TEST", kadmin="remote", admin_principal="nobody@B.TEST",
                          admin_keytab=os.path.join(kdcs.base, "missing.keytab"))], pw).expect_failed()
    assert "kadmin getprinc failed" in no_keytab.msg
    for result in (missing, bad_enctype, wrong_realm, no_keytab):
        assert pw not in result.output and result.files_containing(pw) == []
    assert "second" not in two_lines.output


def test_keys_are_compared_the_same_through_a_private_directory_when_memfd_is_missing(two_realms, monkeypatch):
    kdcs = two_realms
    principal = "host/fallback.a.test@A.TEST"
    remove(kdcs, principal)
    pw = password()
    kdcs.addprinc("A.TEST", principal, pw)

    def runner(argv, data=None, environ_update=None, pass_fds=None):
        env = kdcs.env("A.TEST", **(environ_update or {}))
        proc = subprocess.run(argv, input=data, env=env, capture_output=True, text=True,
                              pass_fds=pass_fds or (), check=False)
        return proc.returncode, proc.stdout, proc.stderr

    kadmin = KC.Kadmin(runner, "kadmin.local", realm="A.TEST")
    in_memory = kadmin.stored_keys(principal, 1)
    made = []
    real_mkdtemp = tempfile.mkdtemp

    def mkdtemp(*args, **kwargs):
        made.append(real_mkdtemp(*args, **kwargs))
        return made[-1]

    monkeypatch.setattr(KC, "_memfd", lambda: None)
    monkeypatch.setattr(KC.tempfile, "mkdtemp", mkdtemp)
    on_disk = kadmin.stored_keys(principal, 1)
    assert on_disk == in_memory and sorted(on_disk) == sorted(ENCTYPES)
    assert len(made) == 1 and not os.path.exists(made[0])
    assert kadmin.derive_keys(principal + "", pw, ENCTYPES, 1) == on_disk
    # Nothing was re-keyed by the exports.
    assert kdcs.kvno_of("A.TEST", principal) == 1


def test_keepold_keeps_tickets_of_the_old_kvno_valid_and_check_mode_says_so(two_realms):
    kdcs = two_realms
    remove(kdcs, TRUST)
    pw, new = password(), password()
    run(both(kdcs, kvno=3, enctypes=ENCTYPES), pw).expect_ok()
    # alice's cross-realm TGT is issued under kvno 3, and used for a service of B.
    before = kdcs.kinit(kdcs.a.user, kdcs.a.user_password)
    assert ticket_kvno(kdcs, before, TRUST) == 3
    assert kdcs.kvno(before, kdcs.b.service, keytab=kdcs.b.service_keytab).returncode == 0

    rotate = both(kdcs, kvno=4, enctypes=ENCTYPES, keepold=True)
    getprinc_before = [kdcs.getprinc(r, TRUST) for r in ("A.TEST", "B.TEST")]
    predicted = results(run(rotate, new, check=True, diff=True).expect_ok())
    assert [kdcs.getprinc(r, TRUST) for r in ("A.TEST", "B.TEST")] == getprinc_before
    done = results(run(rotate, new, diff=True).expect_ok())
    for guess, result in zip(predicted, done):
        assert guess["changes"] == result["changes"] == ["keys", "kvno 3 -> 4"]
        assert guess["kvno"] == result["kvno"] == 4 and guess["old_kvnos"] == result["old_kvnos"] == [3]
        assert guess["diff"] == result["diff"] and "old_kvnos: 3" in result["diff"]["after"]
        assert "old_kvnos" not in result["diff"]["before"]
    for realm in ("A.TEST", "B.TEST"):
        assert key_kvnos(kdcs, realm, TRUST) == [4, 3]
    # B still decrypts the TGT issued under kvno 3 (a service not asked for before, so B is asked).
    assert kdcs.kvno(before, fresh_service(kdcs, "B.TEST", "keepold1")).returncode == 0
    after = kdcs.kinit(kdcs.a.user, kdcs.a.user_password)
    assert ticket_kvno(kdcs, after, TRUST) == 4
    assert kdcs.kvno(after, kdcs.b.service, keytab=kdcs.b.service_keytab).returncode == 0
    again = results(run(rotate, new).expect_ok())
    assert not any(r["changed"] for r in again) and [r["old_kvnos"] for r in again] == [[3], [3]]

    # New keys at the current kvno would have to renumber the old keys: refused, nothing changed.
    refused = run([task(kdcs, "B.TEST", kvno=4, enctypes=ENCTYPES, keepold=True)], password()).expect_failed()
    assert "need a kvno above its current kvno 4, not 4" in refused.msg
    assert key_kvnos(kdcs, "B.TEST", TRUST) == [4, 3]

    # Two kvnos up: cpw -keepold twice; the old keys stay at their own kvno.
    newer = password()
    climbed = results(run(both(kdcs, kvno=6, enctypes=ENCTYPES, keepold=True), newer).expect_ok())
    assert [(r["kvno"], r["old_kvnos"]) for r in climbed] == [(6, [3, 4, 5]), (6, [3, 4, 5])]
    assert kdcs.kvno(before, fresh_service(kdcs, "B.TEST", "keepold2")).returncode == 0
    assert ticket_kvno(kdcs, kdcs.kinit(kdcs.a.user, kdcs.a.user_password), TRUST) == 6

    # Without keepold, a kvno change alone drops the old keys first (modprinc -kvno would give them
    # kvno 7 too); from then on the TGT of kvno 3 is refused, which shows it was the kept key before.
    dropped = results(run(both(kdcs, kvno=7, enctypes=ENCTYPES), newer).expect_ok())
    assert [(r["changes"], r["kvno"], r["old_kvnos"], r["keys_match"]) for r in dropped] == [
        (["kvno 6 -> 7"], 7, [], True)] * 2
    assert key_kvnos(kdcs, "A.TEST", TRUST) == key_kvnos(kdcs, "B.TEST", TRUST) == [7]
    assert kdcs.kvno(before, fresh_service(kdcs, "B.TEST", "keepold3")).returncode != 0
    final = kdcs.kinit(kdcs.a.user, kdcs.a.user_password)
    assert kdcs.kvno(final, kdcs.b.service, keytab=kdcs.b.service_keytab).returncode == 0


def test_keepold_through_kadmind(two_realms):
    kdcs = two_realms
    principal = "host/keepold.b.test@B.TEST"
    remove(kdcs, principal)
    remote = dict(principal=principal, kadmin="remote", admin_principal=kdcs.b.admin_principal,
                  admin_keytab=kdcs.b.admin_keytab, kdc_profile=None, enctypes=ENCTYPES)
    run([task(kdcs, "B.TEST", kvno=2, **remote)], password()).expect_ok()
    [rotated] = results(run([task(kdcs, "B.TEST", keepold=True, **remote)], password()).expect_ok())
    assert rotated["changes"] == ["keys"] and rotated["kvno"] == 3 and rotated["old_kvnos"] == [2]
    assert key_kvnos(kdcs, "B.TEST", principal) == [3, 2]
