"""The Kerberos planner: which cross-realm principals to set, with which password and kvno (no Ansible)."""

import os
import subprocess
import sys

from ansible_collections.datafabric.crosscluster.plugins.module_utils._kerberos_plan import (
    krbtgt_principals,
    plan_principals,
    same_keys,
)

AB = "krbtgt/B.TEST@A.TEST"
BA = "krbtgt/A.TEST@B.TEST"
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _held(kvno=1, digests=None, exists=True, enctypes=("aes256-cts-hmac-sha1-96",)):
    if not exists:
        return {"exists": False}
    return {"exists": True, "kvno": kvno, "enctypes": list(enctypes),
            "key_digests": digests if digests is not None else {"aes256-cts-hmac-sha1-96": "d1"}}


def _pair(a_info, b_info, principal=AB, other=None):
    other_info = other if other is not None else _held()
    return [{"held": {"A.TEST": {principal: a_info, BA: other_info}, "B.TEST": {principal: b_info, BA: other_info}}}]


def test_krbtgt_principals_are_both_directions():
    assert krbtgt_principals(["B.TEST"], "A.TEST") == [AB, BA]
    assert krbtgt_principals(["B.TEST", "C.TEST"], "A.TEST") == [AB, BA, "krbtgt/C.TEST@A.TEST",
                                                                 "krbtgt/A.TEST@C.TEST"]
    assert krbtgt_principals([], "A.TEST") == []


def test_same_keys_needs_both_to_exist_with_equal_kvno_enctypes_and_digests():
    assert same_keys(_held(), _held()) is True
    assert same_keys(_held(), _held(exists=False)) is False
    assert same_keys(_held(kvno=1), _held(kvno=2)) is False
    assert same_keys(_held(), _held(digests={"aes256-cts-hmac-sha1-96": "d2"})) is False
    # Enctypes in another order are the same set.
    two = ("aes256-cts-hmac-sha1-96", "aes128-cts-hmac-sha1-96")
    assert same_keys(_held(enctypes=two), _held(enctypes=two[::-1])) is True
    # No digests (no nonce was given) prove nothing.
    assert same_keys(_held(digests={}), _held(digests={})) is False


def test_agreeing_kdcs_need_nothing_and_differences_get_a_fresh_password_and_kvno():
    assert plan_principals(_pair(_held(), _held())) == []
    [plan] = plan_principals(_pair(_held(kvno=3), _held(kvno=3, digests={"aes256-cts-hmac-sha1-96": "other"})))
    assert plan["principal"] == AB and plan["kvno"] == 4 and plan["realms"] == ["A.TEST", "B.TEST"]
    assert len(plan["password"]) == 40
    [missing] = plan_principals(_pair(_held(kvno=2), _held(exists=False)))
    assert missing["kvno"] == 3
    [fresh] = plan_principals(_pair(_held(exists=False), _held(exists=False)), length=24)
    assert fresh["kvno"] == 1 and len(fresh["password"]) == 24
    # Two draws never give the same password: it is random, never a default.
    again = plan_principals(_pair(_held(exists=False), _held(exists=False)))
    assert again[0]["password"] != fresh["password"]


def test_kvno_or_enctypes_differing_or_missing_digests_count_as_different():
    assert plan_principals(_pair(_held(kvno=1), _held(kvno=2)))[0]["kvno"] == 3
    assert plan_principals(_pair(_held(), _held(enctypes=("aes128-cts-hmac-sha1-96",))))
    assert plan_principals(_pair(_held(digests={}), _held(digests={})))


def test_a_vaulted_password_is_always_applied_and_absent_lists_what_exists():
    [vaulted] = plan_principals(_pair(_held(kvno=5), _held(kvno=5)), passwords={AB: "v"})
    assert vaulted["password"] == "v" and vaulted["kvno"] == 5
    gone = plan_principals(_pair(_held(), _held(exists=False)), state="absent")
    assert [p["principal"] for p in gone] == [AB, BA]
    assert "password" not in gone[0] and "kvno" not in gone[0]
    assert plan_principals(_pair(_held(exists=False), _held(exists=False), other=_held(exists=False)),
                           state="absent") == []


def test_an_empty_vaulted_password_counts_as_none():
    assert plan_principals(_pair(_held(), _held()), passwords={AB: ""}) == []
    [item] = plan_principals(_pair(_held(exists=False), _held(exists=False)), passwords={AB: ""})
    assert item["password"] and item["kvno"] == 1


def test_rotate_gives_every_principal_a_new_password_at_the_next_kvno_in_both_kdcs():
    pairs = _pair(_held(kvno=4), _held(kvno=4), other=_held(kvno=7))
    plan = plan_principals(pairs, rotate=True)
    assert [(p["principal"], p["kvno"], p["realms"]) for p in plan] == [(AB, 5, ["A.TEST", "B.TEST"]),
                                                                        (BA, 8, ["A.TEST", "B.TEST"])]
    assert len(set(p["password"] for p in plan)) == 2 and all(len(p["password"]) == 40 for p in plan)
    # Another rotation draws other passwords.
    assert not set(p["password"] for p in plan) & set(p["password"] for p in plan_principals(pairs, rotate=True))


def test_rotate_with_a_vaulted_password_leaves_the_kvno_to_the_module():
    # Both KDCs hold the same keys at kvno 4: whether the vaulted password is new only krb5_principal can
    # tell, and it tells both KDCs the same. Without a kvno it keeps them, or cpw -keepold makes 5 in both.
    [vaulted, other] = plan_principals(_pair(_held(kvno=4), _held(kvno=4)), passwords={AB: "v"}, rotate=True)
    assert vaulted == {"principal": AB, "realms": ["A.TEST", "B.TEST"], "password": "v", "state": "present"}
    assert other["principal"] == BA and other["kvno"] == 2 and other["password"] != "v"


def test_rotate_repairs_kdcs_that_disagree_above_both_kvnos():
    # Such as a rotation that reached one KDC only: the kvno is above both, so keepold can reach it.
    [item, _other] = plan_principals(_pair(_held(kvno=5, digests={"aes256-cts-hmac-sha1-96": "new"}), _held(kvno=4)),
                                     rotate=True)
    assert item["kvno"] == 6 and item["password"]
    [vaulted, _other] = plan_principals(_pair(_held(kvno=5), _held(kvno=4)), passwords={AB: "v"}, rotate=True)
    assert vaulted["kvno"] == 6 and vaulted["password"] == "v"
    [created, _other] = plan_principals(_pair(_held(exists=False), _held(kvno=3)), rotate=True)
    assert created["kvno"] == 4


def test_rotate_does_not_change_what_absent_removes():
    assert plan_principals(_pair(_held(), _held()), state="absent", rotate=True) == plan_principals(
        _pair(_held(), _held()), state="absent")


def test_the_planner_runs_without_ansible():
    """Pure: importing it must not import Ansible (it is run on the controller and tested alone)."""
    code = ("import sys\n"
            "from ansible_collections.datafabric.crosscluster.plugins.module_utils import _kerberos_plan\n"
            "assert _kerberos_plan.plan_principals([]) == []\n"
            "print(sorted(m for m in sys.modules if m == 'ansible' or m.startswith('ansible.')))\n")
    env = dict(os.environ, PYTHONPATH=os.path.join(ROOT, ".cache", "collections"))
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


def test_a_revoked_pair_removes_its_principals_while_a_kept_pair_is_left_alone():
    kept = _pair(_held(kvno=4), _held(kvno=4))[0]
    gone = dict(_pair(_held(kvno=2), _held(kvno=2))[0], state="absent")
    plan = plan_principals([kept, gone])
    assert [(item["principal"], item["state"]) for item in plan] == [(AB, "absent"), (BA, "absent")]
    assert all("password" not in item and "kvno" not in item for item in plan)
    # nothing left in either KDC: nothing to remove, so a second revoke changes nothing
    nothing = _held(exists=False)
    assert plan_principals([dict(_pair(nothing, nothing, other=nothing)[0], state="absent")]) == []
