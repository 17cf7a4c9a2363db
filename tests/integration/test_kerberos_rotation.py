"""kerberos_trust with kerberos_trust_rotate against two real MIT KDCs on loopback.

The world (two clusters of two nodes, one KDC host each) is test_kerberos_trust's. What an administrator
rotating the cross-realm keys wants to know: both KDCs hold the new keys at one kvno, users who got their
tickets before are not cut off, new tickets carry the new kvno, a second run changes nothing, and the new
passwords are nowhere to be read.
"""

import base64
import os
import re
import subprocess

import test_kerberos_trust as trust_test
from leakscan import scan
from procwatch import ProcessWatch
from test_kerberos_trust import KNOWN, changed, run
from tickets import fresh_service, kadmin, key_kvnos, stored_keys, ticket_kvno

from ansible_collections.datafabric.crosscluster.plugins.module_utils import _kadmin_formats as KF

pytest_plugins = ["kdc.fixtures"]

world = trust_test.world
OTHER = "krbtgt/A.TEST@B.TEST"
PRINCIPALS = (KNOWN, OTHER)
ENCTYPES = ["aes256-cts-hmac-sha1-96", "aes128-cts-hmac-sha1-96"]
ROTATE = {"kerberos_trust_rotate": True}
# The role draws kerberos_trust_password_length (40) characters of token_urlsafe.
_PASSWORD_LIKE = re.compile(r"[A-Za-z0-9_-]{40,}")


def _kvnos(kdcs):
    """{principal: kvno}, asserting both KDCs agree on it."""
    found = {}
    for principal in PRINCIPALS:
        kvnos = [kdcs.kvno_of(realm, principal) for realm in ("A.TEST", "B.TEST")]
        assert kvnos[0] == kvnos[1], (principal, kvnos)
        found[principal] = kvnos[0]
    return found


def _users_before(kdcs):
    """Each realm's user with a cross-realm TGT of the current kvno, used once for the peer's service."""
    a, b = kdcs.a, kdcs.b
    users = {KNOWN: (kdcs.kinit(a.user, a.user_password), b), OTHER: (kdcs.kinit(b.user, b.user_password), a)}
    for ccache, peer in users.values():
        got = kdcs.kvno(ccache, peer.service, keytab=peer.service_keytab)
        assert got.returncode == 0, got.stderr
    return users


def _derives(kdcs, principal, kvno, keys, candidates):
    """The candidates from which ktutil derives ``keys`` (aes256, normal salt): one ktutil for them all."""
    enctype = "aes256-cts-hmac-sha1-96"
    script = "".join("addent -password -p %s -k %d -e %s\n%s\n" % (principal, index + 1, enctype, word)
                     for index, word in enumerate(candidates)) + "list -k -e\nquit\n"
    done = subprocess.run(["ktutil"], input=script, env=kdcs.env(), capture_output=True, text=True, check=True)
    derived = KF.parse_ktutil_keys(done.stdout)
    assert len(derived) == len(candidates), done.stderr[-500:]
    return [candidates[index - 1] for index, _name, _enctype, key in derived if key == keys[enctype]]


def _password_like_words(texts, length=40):
    """Every run of ``length`` URL-safe characters in ``texts``, where a drawn password could hide."""
    words = set()
    for text in texts:
        for run_ in _PASSWORD_LIKE.findall(text):
            words.update(run_[start:start + length] for start in range(len(run_) - length + 1))
    return sorted(words)


def test_rotation_keeps_old_tickets_valid_new_ones_get_the_next_kvno_and_nothing_leaks(world, tmp_path):
    kdcs = world["kdcs"]
    run(world).expect_ok()
    before = _kvnos(kdcs)
    users = _users_before(kdcs)
    for principal, (ccache, _peer) in users.items():
        assert ticket_kvno(kdcs, ccache, principal) == before[principal]

    log_path = str(tmp_path / "ansible.log")
    with ProcessWatch() as watch:
        rotated = run(world, extra_vars=ROTATE, verbosity=4, env={"ANSIBLE_LOG_PATH": log_path}).expect_ok()
    assert [task for _host, task in changed(rotated) if "Set the cross-realm principals" in task]

    # (a) kvno N+1 in both KDCs, the same new keys in both, the old keys kept at N in both.
    assert _kvnos(kdcs) == dict((p, kvno + 1) for p, kvno in before.items())
    new_keys = {}
    for principal, kvno in before.items():
        for realm in ("A.TEST", "B.TEST"):
            assert key_kvnos(kdcs, realm, principal) == [kvno + 1, kvno]
        new = [stored_keys(kdcs, realm, principal, kvno + 1) for realm in ("A.TEST", "B.TEST")]
        old = [stored_keys(kdcs, realm, principal, kvno) for realm in ("A.TEST", "B.TEST")]
        assert new[0] == new[1] and sorted(new[0]) == sorted(ENCTYPES)
        assert old[0] == old[1] and old[0] != new[0]
        new_keys[principal] = new[0]

    # (b) The TGTs from before still get tickets for services of the peer realm: its KDC kept key N.
    for principal, (ccache, peer) in users.items():
        got = kdcs.kvno(ccache, fresh_service(kdcs, peer.name, "rotated"))
        assert got.returncode == 0, got.stderr
        assert ticket_kvno(kdcs, ccache, principal) == before[principal]

    # (c) A fresh kinit gets cross-realm tickets of kvno N+1, which the peer's services accept.
    for principal, (user, peer) in ((KNOWN, (kdcs.a, kdcs.b)), (OTHER, (kdcs.b, kdcs.a))):
        ccache = kdcs.kinit(user.user, user.user_password)
        assert ticket_kvno(kdcs, ccache, principal) == before[principal] + 1
        got = kdcs.kvno(ccache, peer.service, keytab=peer.service_keytab)
        assert got.returncode == 0 and "keytab entry valid" in got.stdout, got.stderr

    # (d) Without rotate, a second run finds both KDCs agreeing and changes nothing.
    assert changed(run(world).expect_ok()) == []
    assert _kvnos(kdcs) == dict((p, kvno + 1) for p, kvno in before.items())

    # (e) Nothing of the new secrets in -vvvv, the log, any command line or file of the run: not the
    # keys (hex, base64), and no word of the output or the log is a password that gives them.
    secrets = {"A.TEST user password": kdcs.a.user_password, "B.TEST user password": kdcs.b.user_password}
    for principal, keys in new_keys.items():
        for enctype, key in keys.items():
            secrets["new %s key of %s (hex)" % (enctype, principal)] = key.hex()
            secrets["new %s key of %s (base64)" % (enctype, principal)] = base64.b64encode(key).decode()
    leaks = scan("kerberos_trust rotation with drawn passwords, two MIT KDCs, -vvvv", secrets, rotated, watch,
                 [rotated.run_dir], log_path)
    assert leaks == []
    assert watch.seen("kadmin.local") or watch.seen("ktutil"), sorted(watch.cmdlines)[:40]
    with open(log_path, encoding="utf-8", errors="replace") as handle:
        texts = [rotated.output, handle.read()] + list(watch.cmdlines) + watch.ps_samples
    words = _password_like_words(texts)
    for principal, keys in new_keys.items():
        assert _derives(kdcs, principal, before[principal] + 1, keys, words) == [], principal
    # The check can find a password: the one of alice gives her keys (control).
    assert _derives(kdcs, kdcs.a.user, 1, kadmin(kdcs, "A.TEST").stored_keys(kdcs.a.user, 1),
                    words + [kdcs.a.user_password]) == [kdcs.a.user_password]


def test_a_vaulted_password_is_rotated_only_when_it_changed(world, tmp_path):
    kdcs = world["kdcs"]
    first, second = ("Vaulted-Rotation-%d-%s" % (n, os.urandom(6).hex()) for n in (1, 2))
    run(world, secret_vars={"kerberos_trust_passwords": {KNOWN: first}}).expect_ok()
    before = _kvnos(kdcs)
    keys_before = stored_keys(kdcs, "A.TEST", KNOWN, before[KNOWN])

    # The same vaulted password cannot give new keys: that principal stays, the other one rotates.
    run(world, extra_vars=ROTATE, secret_vars={"kerberos_trust_passwords": {KNOWN: first}}).expect_ok()
    assert _kvnos(kdcs) == {KNOWN: before[KNOWN], OTHER: before[OTHER] + 1}
    assert stored_keys(kdcs, "B.TEST", KNOWN, before[KNOWN]) == keys_before

    users = _users_before(kdcs)
    log_path = str(tmp_path / "ansible.log")
    with ProcessWatch() as watch:
        moved = run(world, extra_vars=ROTATE, secret_vars={"kerberos_trust_passwords": {KNOWN: second}},
                    verbosity=4, env={"ANSIBLE_LOG_PATH": log_path}).expect_ok()
    assert _kvnos(kdcs) == {KNOWN: before[KNOWN] + 1, OTHER: before[OTHER] + 2}
    for realm in ("A.TEST", "B.TEST"):
        assert key_kvnos(kdcs, realm, KNOWN) == [before[KNOWN] + 1, before[KNOWN]]
        assert (stored_keys(kdcs, realm, KNOWN, before[KNOWN] + 1)
                == kadmin(kdcs, realm).derive_keys(KNOWN, second, ENCTYPES, before[KNOWN] + 1))
    ccache, peer = users[KNOWN]
    assert kdcs.kvno(ccache, fresh_service(kdcs, peer.name, "vaulted")).returncode == 0
    leaks = scan("kerberos_trust rotation to a new vaulted password, two MIT KDCs, -vvvv",
                 {"old vaulted password": first, "new vaulted password": second,
                  "A.TEST user password": kdcs.a.user_password, "B.TEST user password": kdcs.b.user_password},
                 moved, watch, [moved.run_dir], log_path)
    assert leaks == []
    assert changed(run(world, secret_vars={"kerberos_trust_passwords": {KNOWN: second}}).expect_ok()) == []
