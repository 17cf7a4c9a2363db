# Copyright: datafabric.crosscluster contributors
# Apache License 2.0 (see LICENSE)
"""Manage one principal in an MIT KDC: create it, or re-key it only when its keys differ from what
the password gives (compared without re-keying), keep old keys on request, remove it. The tools
are run by _kadmin_cli.py; their formats are read by _kadmin_formats.py.

Standard library only, Python 3.8: this runs on KDC hosts.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import hashlib
import hmac

from ansible_collections.datafabric.crosscluster.plugins.module_utils._errors import CrossclusterError
from ansible_collections.datafabric.crosscluster.plugins.module_utils._kadmin_cli import (
    check_password,
    check_principal,
)
from ansible_collections.datafabric.crosscluster.plugins.module_utils._kadmin_formats import (
    apply_flags,
    attribute_names,
    current_enctypes,
    flags_to_change,
    normalize_attributes,
    normalize_enctypes,
)


def is_krbtgt(principal):
    return principal.startswith("krbtgt/")


def default_attributes(principal):
    """Cross-realm krbtgt principals must not require preauth: the KDC then refuses the TGS."""
    return ["-requires_preauth"] if is_krbtgt(principal) else []


def attribute_warnings(principal, attributes):
    if is_krbtgt(principal) and "+requires_preauth" in attributes:
        return ["%s with +requires_preauth: KDCs refuse cross-realm ticket requests for it; "
                "use -requires_preauth" % principal]
    return []


def compare_keys(stored, derived, enctypes):
    """Whether ``stored`` ({enctype: key} at the current kvno) holds exactly ``enctypes``, each
    equal to the key ``derived`` from the password."""
    if sorted(stored) != sorted(enctypes):
        return False
    return all(derived.get(enctype) is not None and stored[enctype] == derived[enctype] for enctype in enctypes)


# -- the whole job ----------------------------------------------------------------------------


def describe(state):
    """Non-secret state as text, for diff mode."""
    if not state.get("exists"):
        return "absent\n"
    text = "principal: %s\nkvno: %s\nenctypes: %s\nattributes: %s\nkeys_match: %s\n" % (
        state["principal"], state["kvno"], ", ".join(state["enctypes"]), ", ".join(state["attributes"]),
        state["keys_match"])
    if state.get("old_kvnos"):
        text += "old_kvnos: %s\n" % ", ".join(str(kvno) for kvno in state["old_kvnos"])
    return text


def old_kvnos(info):
    """The kvnos of the older keys a principal still holds (left by cpw -keepold), oldest first."""
    return sorted(set(key["kvno"] for key in info["keys"] if key["kvno"] != info["kvno"]))


def _state(info, keys_match):
    return dict(exists=True, principal=info["principal"], kvno=info["kvno"], enctypes=current_enctypes(info),
                attributes=attribute_names(info["attributes"]), keys_match=keys_match, old_kvnos=old_kvnos(info))


def _keys_match(kadmin, info, password, enctypes):
    wanted = enctypes or current_enctypes(info)
    if not wanted:
        return False  # a principal without keys (-nokey) has nothing the password could match
    stored = kadmin.stored_keys(info["principal"], info["kvno"])
    derived = kadmin.derive_keys(info["principal"], password, wanted, info["kvno"])
    return compare_keys(stored, derived, wanted)


# How far ``keepold`` climbs to a kvno, one ``cpw -keepold`` (one more set of keys) per step. A gap
# wider than this comes from a kvno set by hand, and is better closed once without keepold.
MAX_KEEPOLD_STEPS = 16


def _keepold_steps(principal, current, kvno, matched):
    """How many ``cpw -keepold`` runs take ``principal`` from kvno ``current`` to ``kvno``.

    MIT's ``cpw -keepold`` adds the new keys at the next kvno and keeps the others; ``modprinc -kvno``
    would renumber the old keys as well (every key ends up at the new kvno and tickets of the old
    one find no key), so with keepold a kvno only ever climbs, by cpw. Steps past the first leave
    copies of the new keys at the kvnos in between, which no valid ticket uses.
    """
    if kvno is None:
        return 0 if matched else 1
    if kvno == current and matched:
        return 0
    if kvno <= current:
        raise CrossclusterError("with keepold, the new keys of %s need a kvno above its current kvno %d, not %d"
                                % (principal, current, kvno),
                                fix="give a kvno above %d, or none (the next one), or set keepold to false" % current)
    if kvno - current > MAX_KEEPOLD_STEPS:
        raise CrossclusterError("with keepold, kvno %d of %s is more than %d above its current kvno %d"
                                % (kvno, principal, MAX_KEEPOLD_STEPS, current),
                                fix="bring the KDCs to one kvno first without keepold (which drops the old keys)")
    return kvno - current


def ensure_present(kadmin, principal, password, kvno=None, enctypes=None, attributes=None, keepold=False,
                   check_mode=False):
    """Make ``principal`` exist with keys from ``password`` (and ``kvno``, ``enctypes``, ``attributes``).

    With ``keepold``, a change of keys keeps the old ones (``cpw -keepold``) so that tickets issued
    under the old kvno stay valid, and the kvno only climbs (see _keepold_steps). Without it, old keys
    go: cpw drops them, and before a kvno is renumbered they are purged, as ``modprinc -kvno`` would
    give them the new kvno too.

    Returns (changes, before, after): ``changes`` names what differs ("create", "keys",
    "kvno 3 -> 1", "attributes -requires_preauth"), empty when nothing does; before and after are
    non-secret states (in check mode, after is the prediction).
    """
    check_principal(principal)
    check_password(password)
    enctypes = normalize_enctypes(enctypes)
    flags = normalize_attributes(default_attributes(principal) if attributes is None else attributes)
    if kvno is not None and kvno < 1:
        raise CrossclusterError("kvno %d is not a key version number" % kvno, fix="use 1 or more")
    info = kadmin.getprinc(principal)
    if info is None:
        before = dict(exists=False)
        if check_mode:
            return ["create"], before, dict(exists=True, principal=principal, kvno=kvno or 1, enctypes=enctypes,
                                            attributes=attribute_names(apply_flags(0, flags)), keys_match=True,
                                            old_kvnos=[])
        kadmin.addprinc(principal, password, enctypes=enctypes, kvno=kvno, flags=flags)
        return ["create"], before, _verified(kadmin, principal, password, enctypes)

    matched = _keys_match(kadmin, info, password, enctypes)
    before = _state(info, matched)
    changes = [] if matched else ["keys"]
    if kvno is not None and kvno != info["kvno"]:
        changes.append("kvno %d -> %d" % (info["kvno"], kvno))
    wrong_flags = flags_to_change(info["attributes"], flags)
    if wrong_flags:
        changes.append("attributes %s" % " ".join(wrong_flags))
    if not changes:
        return changes, before, before
    current = info["kvno"]
    rekeys = _keepold_steps(principal, current, kvno, matched) if keepold else (0 if matched else 1)
    # Without keepold, cpw gives the next kvno, which modprinc then sets to the one asked for.
    renumber = not keepold and kvno is not None and kvno != current + rekeys
    if check_mode:
        if keepold:
            kept = sorted(set(before["old_kvnos"]) | set(range(current, current + rekeys)))
        else:
            kept = [] if rekeys or renumber else before["old_kvnos"]
        return changes, before, dict(before, kvno=kvno if renumber else current + rekeys, keys_match=True,
                                     enctypes=enctypes or before["enctypes"], old_kvnos=kept,
                                     attributes=attribute_names(apply_flags(info["attributes"], flags)))
    for _step in range(rekeys):
        kadmin.cpw(principal, password, enctypes=enctypes, keepold=keepold)
    if rekeys:
        info = kadmin.getprinc(principal)
        renumber = not keepold and kvno is not None and kvno != info["kvno"]
    if renumber and old_kvnos(info):
        kadmin.purgekeys(principal, info["kvno"])
    # Looked at again after cpw: a password change clears needchange, for one.
    wrong_flags = flags_to_change(info["attributes"], flags)
    if renumber or wrong_flags:
        kadmin.modprinc(principal, kvno=kvno if renumber else None, flags=wrong_flags)
    return changes, before, _verified(kadmin, principal, password, enctypes)


def _verified(kadmin, principal, password, enctypes):
    """The state the KDC now holds, read back. Keys the password cannot reproduce (another salt,
    for one) fail here once instead of showing up as a change on every run."""
    info = kadmin.getprinc(principal)
    if info is None:
        raise CrossclusterError("%s reported success but %s does not exist" % (kadmin.name, principal),
                                fix="check realm and kdc_profile")
    matched = _keys_match(kadmin, info, password, enctypes)
    if not matched:
        raise CrossclusterError("after setting the password, the keys of %s still differ from the ones the password "
                                "gives (salt types %s)" % (principal, sorted(set(k["salt"] for k in info["keys"]))),
                                fix="give enctypes explicitly, so that the keys get the normal salt")
    return _state(info, matched)


def ensure_absent(kadmin, principal, check_mode=False):
    """Delete ``principal`` if it exists. Returns (changed, before, after)."""
    check_principal(principal)
    info = kadmin.getprinc(principal)
    if info is None:
        return False, dict(exists=False), dict(exists=False)
    before = dict(exists=True, principal=info["principal"], kvno=info["kvno"], enctypes=current_enctypes(info),
                  attributes=attribute_names(info["attributes"]), keys_match=None)
    if not check_mode:
        kadmin.delprinc(principal)
    return True, before, dict(exists=False)


def principal_info(kadmin, principal, nonce=None):
    """What a KDC holds for ``principal``, read-only; with ``nonce``, HMAC-SHA256 digests of its keys.

    The digests let two KDCs be compared (do both hold the same keys?) without a key or a
    password leaving either host; a nonce chosen per run keeps them from being compared across runs.
    """
    check_principal(principal)
    info = kadmin.getprinc(principal)
    if info is None:
        return dict(exists=False, principal=principal)
    state = dict(exists=True, principal=info["principal"], kvno=info["kvno"], enctypes=current_enctypes(info),
                 attributes=attribute_names(info["attributes"]))
    if nonce:
        keys = kadmin.stored_keys(principal, info["kvno"])
        state["key_digests"] = dict(
            (enctype, hmac.new(nonce.encode("utf-8"), key, hashlib.sha256).hexdigest())
            for enctype, key in sorted(keys.items()))
    return state
