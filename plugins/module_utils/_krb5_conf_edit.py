# -*- coding: utf-8 -*-
# Copyright: datafabric.crosscluster contributors
# Apache License 2.0 (see LICENSE)
"""What krb5_conf does to a krb5.conf: the realms, domain_realm mappings, capaths and auth_to_local
rules of the peers, set or removed in one edit. The file itself is parsed and rendered by the
profile codec (_krb5_profile.py), which keeps every line it does not touch.

Standard library only: this runs on managed nodes.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.datafabric.crosscluster.plugins.module_utils._errors import CrossclusterError
from ansible_collections.datafabric.crosscluster.plugins.module_utils._inputs import excerpt
from ansible_collections.datafabric.crosscluster.plugins.module_utils._krb5_profile import (
    DIRECT,
    Profile,
    check_tag,
    check_word,
)


def _wanted_capaths(capaths):
    wanted = []
    for number, item in enumerate(capaths, 1):
        what = "capaths entry %d" % number
        via = [check_word(hop, what + " via") for hop in item.get("via") or ()]
        wanted.append(dict(client_realm=check_tag(item.get("client_realm"), what + " client_realm"),
                           server_realm=check_tag(item.get("server_realm"), what + " server_realm"),
                           via=[hop for hop in via if hop != DIRECT]))
    return wanted


def _with_rules(current, rules):
    """``current`` auth_to_local values with ``rules`` added; MIT tries rules in order and DEFAULT
    matches everything, so new rules go before a trailing DEFAULT."""
    missing = [rule for rule in rules if rule not in current]
    if not missing:
        return current
    if current and current[-1] == "DEFAULT":
        return current[:-1] + missing + ["DEFAULT"]
    return current + missing


def edit_krb5_conf(text, path, realm, state="present", kdcs=None, admin_server=None, domains=(), capaths=(),
                   auth_to_local=None):
    """One realm's edit (see ``edit_realms``): returns ``(new_text, facts)``."""
    spec = dict(realm=realm, kdcs=kdcs, admin_server=admin_server, domains=domains, auth_to_local=auth_to_local)
    new_text, facts = edit_realms(text, path, [spec], state=state, capaths=capaths)
    return new_text, facts[0]


def edit_realms(text, path, realms, state="present", capaths=(), remove=None):
    """One krb5_conf task: every realm of ``realms`` and every capath in one edit of the file.

    Returns ``(new_text, [facts per realm])``. Each realm spec is a dict: ``realm``, ``kdcs``,
    ``admin_server``, ``domains``, ``auth_to_local``. ``present`` sets the realm's ``kdc`` lines
    (when ``kdcs`` is not None) and ``admin_server`` (when not None), maps each domain to the realm,
    adds the auth_to_local rules and sets each capath. ``absent`` removes the realm's subsection
    (or, when auth_to_local rules are named, only those rules: that realm is usually the node's
    own), those domains' mappings to the realm (a domain mapped to another realm is not ours to
    remove) and those capaths. ``remove`` (``{realms, capaths}``) is then removed as ``absent``
    would, in the same edit: a node that keeps one peer realm and loses another writes once.
    """
    remove = remove or {}
    wanted_paths = _wanted_capaths(capaths)
    specs = [_realm_spec(spec, state) for spec in realms]
    dropped = [_realm_spec(spec, "absent") for spec in remove.get("realms") or ()]
    dropped_paths = _wanted_capaths(remove.get("capaths") or ())
    profile = Profile.parse(text, path)
    for spec in specs:
        _edit_realm(profile, spec, state)
    for item in wanted_paths:
        if state == "present":
            profile.set_capath(item["client_realm"], item["server_realm"], item["via"])
        else:
            profile.remove_capath(item["client_realm"], item["server_realm"])
    for spec in dropped:
        _edit_realm(profile, spec, "absent")
    for item in dropped_paths:
        profile.remove_capath(item["client_realm"], item["server_realm"])
    return profile.render(), [managed_facts(profile, spec["realm"]) for spec in specs + dropped]


def _realm_spec(spec, state):
    """A realm spec checked before the file is touched, so bad input changes nothing."""
    realm = check_tag(spec.get("realm"), "realm")
    if state == "absent" and (spec.get("kdcs") is not None or spec.get("admin_server") is not None):
        # Removing the whole realm when a task names one KDC would be a nasty surprise.
        raise CrossclusterError(
            "kdcs and admin_server describe realm %s's entry, which state=absent removes whole" % excerpt(realm),
            fix="leave kdcs and admin_server out to remove the realm, or list the KDCs to keep with state=present")
    kdcs = spec.get("kdcs")
    if spec.get("admin_server") is not None:
        check_word(spec["admin_server"], "admin_server")
    return dict(
        realm=realm,
        kdcs=None if kdcs is None else [check_word(kdc, "kdc") for kdc in kdcs],
        admin_server=spec.get("admin_server"),
        # MIT looks host names up in lower case, so an upper-case key would never match.
        domains=[check_tag(domain, "domain").lower() for domain in spec.get("domains") or ()],
        rules=[check_word(rule, "auth_to_local") for rule in spec.get("auth_to_local") or ()],
    )


def _edit_realm(profile, spec, state):
    realm, rules = spec["realm"], spec["rules"]
    current_rules = (profile.realm(realm) or {}).get("auth_to_local", [])
    if state == "present":
        if spec["kdcs"] is not None:
            profile.set_realm_values(realm, "kdc", spec["kdcs"])
        if spec["admin_server"] is not None:
            profile.set_realm_values(realm, "admin_server", [spec["admin_server"]])
        for domain in spec["domains"]:
            profile.set_domain_realm(domain, realm)
        if rules and _with_rules(current_rules, rules) != current_rules:
            profile.set_realm_values(realm, "auth_to_local", _with_rules(current_rules, rules))
        return
    if rules:
        if any(rule in current_rules for rule in rules):
            profile.set_realm_values(realm, "auth_to_local", [r for r in current_rules if r not in rules])
    else:
        profile.remove_realm(realm)
    for domain in spec["domains"]:
        profile.remove_domain_realm(domain, realm)


def managed_facts(profile, realm):
    """What the file says, after the edit, about the parts krb5_conf manages."""
    relations = profile.realm(realm)
    entry = dict(realm=realm, present=relations is not None, relations=relations or {},
                 kdcs=(relations or {}).get("kdc", []),
                 admin_server=((relations or {}).get("admin_server") or [None])[0])
    return dict(
        realm_entry=entry,
        domains=[domain for domain, mapped in profile.domain_realm() if mapped == realm],
        capaths=profile.capaths(),
    )
