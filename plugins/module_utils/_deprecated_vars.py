# -*- coding: utf-8 -*-
# Copyright: datafabric.crosscluster contributors
# Apache License 2.0 (see LICENSE)
"""Which deprecated variable names a play's hosts set, as Ansible's own deprecation warnings.

The deprecated_vars action hands these entries back in its result's ``deprecations``, so Ansible
prints them as ``[DEPRECATION WARNING]`` (once each, and not at all with ``deprecation_warnings =
False``). Only names are looked at, never a value: a deprecated name may hold a path today, but
nothing here should start reading what an inventory variable holds.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

COLLECTION = "datafabric.crosscluster"
REMOVED_IN = "1.0.0"
# Hosts named in a warning; an inventory sets a name for a whole group, so the count says the rest.
HOSTS_SHOWN = 3


def set_for(renamed, hosts, names_of):
    """``{deprecated name: [hosts that set it]}`` for the names of ``renamed`` any of ``hosts`` sets.

    ``names_of(host)`` gives the names of the variables set for ``host`` (a dict of its variables
    will do: only membership is asked), so that no value is looked at, let alone templated.
    """
    found = {}
    for host in hosts:
        names = names_of(host)
        for old in renamed:
            if old in names:
                found.setdefault(old, []).append(host)
    return found


def _hosts_phrase(hosts):
    if len(hosts) <= HOSTS_SHOWN:
        return ", ".join(hosts)
    return "%s and %d more" % (", ".join(hosts[:HOSTS_SHOWN]), len(hosts) - HOSTS_SHOWN)


def deprecations(renamed, found):
    """One deprecation entry (``msg``, ``version``, ``collection_name``) per name of ``found``, sorted.

    That is the shape of a task result's ``deprecations`` which ansible-core 2.16 hands to
    ``Display.deprecated`` as it is, and 2.19 and later turn into their own deprecation summary
    (``collection_name`` becoming the deprecator).
    """
    return [dict(msg="The variable %s (set for %s) is deprecated: rename it %s. Meanwhile it still works, and "
                     "wins over %s for its role" % (old, _hosts_phrase(found[old]), renamed[old], renamed[old]),
                 version=REMOVED_IN, collection_name=COLLECTION)
            for old in sorted(found)]
