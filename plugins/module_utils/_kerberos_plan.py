# Copyright: datafabric.crosscluster contributors
# Apache License 2.0 (see LICENSE)
"""Which cross-realm principals two KDCs must be given, each with one password and one kvno.

Pure: it takes what each KDC of a pair of realms reported (``krb5_principal_info`` with one nonce,
so key digests can be compared without a key leaving a KDC) and says what to set. The filters in
plugins/filter/trust.py gather those reports from hostvars and call it; nothing here needs Ansible.

Rotation (``rotate=True``) gives every cross-realm principal new keys at the next kvno in both KDCs,
set with ``krb5_principal`` ``keepold``: the old keys stay, so tickets issued under the old kvno are
still accepted until they expire. MIT can only add keys one kvno at a time while keeping the old ones
(``modprinc -kvno`` would renumber the old keys too), so the kvno planned is always above the current
one in both KDCs.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re
import secrets


def krbtgt_principals(peer_realms, realm):
    """The cross-realm principals a realm shares with each peer: both directions, both KDCs hold both."""
    names = []
    for peer in peer_realms:
        names += ["krbtgt/%s@%s" % (peer, realm), "krbtgt/%s@%s" % (realm, peer)]
    return names


def same_keys(first, second):
    """Whether two KDCs' reports of one principal show the same keys, kvno and enctypes."""
    return bool(first.get("exists") and second.get("exists") and first["kvno"] == second["kvno"]
                and sorted(first["enctypes"]) == sorted(second["enctypes"])
                and first.get("key_digests") and first.get("key_digests") == second.get("key_digests"))


def new_password(length):
    """A strong random password drawn on the controller; there is never a default one."""
    return secrets.token_urlsafe(length)[:length]


def plan_principals(pairs, passwords=None, length=40, state="present", rotate=False):
    """Which cross-realm principals to set, each with one password and (mostly) one kvno for both KDCs.

    ``pairs`` holds, per pair of realms, what each KDC reported: ``[{held: {realm: {principal: info}}}]``.

    Without ``rotate``, a principal whose keys, kvno and enctypes already agree in both KDCs is left
    alone unless a vaulted password is given (then krb5_principal itself compares against it, at the
    kvno both hold). Any other gets the vaulted password or a random one, and the next kvno.

    With ``rotate``, every principal is listed. One that agrees gets a random password and kvno N+1,
    unless it has a vaulted password: a password that the KDCs already hold cannot give new keys, so
    then the item has no kvno and krb5_principal compares. An unchanged vaulted password leaves both
    KDCs as they are; a changed one makes each KDC's ``cpw -keepold`` add kvno N+1. Both KDCs hold
    the same keys at the same N, so both reach the same answer.

    With ``state=absent``, or for a pair whose ``state`` is absent (a revoked entry of
    ``crosscluster_trusts``), every principal that exists in either KDC, without password or kvno.
    Each item says its ``state``.
    """
    passwords = passwords or {}
    plan = []
    for pair in pairs:
        realms = sorted(pair["held"])
        revoked = state == "absent" or pair.get("state") == "absent"
        for principal in krbtgt_principals([realms[1]], realms[0]):
            found = [pair["held"][realm].get(principal, {}) for realm in realms]
            if revoked:
                if any(item.get("exists") for item in found):
                    plan.append(dict(principal=principal, realms=realms, state="absent"))
                continue
            # An empty entry counts as none: it would otherwise re-key with a random password every run.
            vaulted = bool(passwords.get(principal))
            agree = same_keys(found[0], found[1])
            if agree and not vaulted and not rotate:
                continue
            password = passwords[principal] if vaulted else new_password(length)
            item = dict(principal=principal, realms=realms, password=password, state="present")
            kvnos = [info["kvno"] for info in found if info.get("exists")]
            if not agree:
                item["kvno"] = max(kvnos or [0]) + 1
            elif not rotate:
                item["kvno"] = kvnos[0]
            elif not vaulted:
                item["kvno"] = kvnos[0] + 1
            plan.append(item)
    return plan


def krb5_conf_edit(peers, realm, state="present", auth_to_local=False, revoked=()):
    """One krb5_conf call's ``realms``, ``capaths`` and ``remove`` for a node of ``realm``.

    Each peer realm with its KDCs, admin server and domains (``absent`` names only the domains, as
    the realm's whole entry goes), capaths both ways, and with ``auth_to_local`` a rule per peer in
    the node's own realm that maps the peer's user principals to local names. Each ``revoked`` peer
    realm goes in the same call: its entry, its domains' mappings and both capaths.
    """
    realms = []
    for peer in peers:
        spec = dict(realm=peer["realm"], domains=list(peer.get("domains") or []))
        if state == "present":
            spec["kdcs"] = list(peer["kdcs"])
            if peer.get("admin_server"):
                spec["admin_server"] = peer["admin_server"]
        realms.append(spec)
    if auth_to_local and peers:
        rules = ["RULE:[1:$1@$0](.*@%s)s/@.*//" % re.escape(peer["realm"]) for peer in peers]
        realms.append(dict(realm=realm, auth_to_local=rules))
    remove = dict(realms=[dict(realm=peer["realm"], domains=list(peer.get("domains") or [])) for peer in revoked],
                  capaths=_capaths(realm, revoked))
    return dict(realms=realms, capaths=_capaths(realm, peers), remove=remove)


def _capaths(realm, peers):
    paths = []
    for peer in peers:
        paths += [dict(client_realm=realm, server_realm=peer["realm"]),
                  dict(client_realm=peer["realm"], server_realm=realm)]
    return paths
