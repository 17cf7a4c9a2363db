# Copyright: datafabric.crosscluster contributors
# Apache License 2.0 (see LICENSE)
"""One truststore change applied to a store and its siblings, on the controller.

Shared by truststore_import (the stores alone) and peer_trust (the stores and mapr-clusters.conf in
one write): both turn the same options into requests and report the same way.
"""

from ansible_collections.datafabric.crosscluster.plugins.module_utils._errors import CrossclusterError
from ansible_collections.datafabric.crosscluster.plugins.module_utils._inputs import MAX_NAME
from ansible_collections.datafabric.crosscluster.plugins.module_utils._truststore import (
    Request,
    apply_requests,
    load_certificates,
    remove_entries,
)

CERTIFICATE_OPTIONS = dict(
    alias=dict(type="str"),
    pem=dict(type="str"),
    sha256=dict(type="str"),
)
REMOVE_OPTIONS = dict(
    alias=dict(type="str"),
    sha256=dict(type="str"),
)
# An alias becomes a friendlyName line of a PEM store, where a newline would start a line of its own.
CERTIFICATE_LIMITS = dict(alias=MAX_NAME, sha256=MAX_NAME)


def requests_from(items, state, certificate_text):
    """``items`` ({alias, pem, sha256}) as Requests; ``certificate_text(pem) -> (text, source)``
    resolves a pem option (content, or where the caller allows it, a file)."""
    requests = []
    for number, item in enumerate(items, 1):
        certs = [None]
        if item.get("pem"):
            text, source = certificate_text(item["pem"])
            certs = load_certificates(text, "%s (certificate %d)" % (source, number))
            if len(certs) != 1 and state == "present":
                raise CrossclusterError(
                    "holds %d certificates; one certificate goes under one alias" % len(certs),
                    path="%s (certificate %d)" % (source, number),
                    fix="list each certificate separately with its own alias")
        for cert in certs:
            requests.append(Request(alias=item.get("alias"), certificate=cert, sha256=item.get("sha256")))
    return requests


def removals_from(items):
    return [Request(alias=item["alias"], sha256=item["sha256"]) for item in items]


def _trusted(store):
    return set(e.certificate.sha256 for e in store.entries if e.certificate is not None)


def _no_longer_trusted(primary, outcome):
    """Fingerprints the primary store removed (by alias or replaced) and holds no more."""
    kept = _trusted(primary)
    return [item["sha256"] for item in outcome["removed"] if item["sha256"] not in kept]


def _sibling_removals(removals, outcome, dropped):
    """What a sibling loses: the aliases named (checked against the fingerprint the primary found
    under each), then by fingerprint whatever the primary no longer trusts, as a sibling may lack
    the aliases (a PEM store without friendlyName)."""
    found = dict((item["alias"], item["sha256"]) for item in outcome["removed"])
    named = [Request(alias=req.alias, sha256=req.sha256 or found.get(req.alias)) for req in removals if req.alias]
    return named + [Request(sha256=fp) for fp in dropped]


def _merged(*outcomes):
    return dict((key, [item for outcome in outcomes for item in outcome[key]]) for key in outcomes[0])


def edit_stores(files, requests, removals, state="present", on_alias_conflict="fail", create=False):
    """Apply ``removals`` then ``requests`` to the primary store (``files[0]``) and the same change
    to each sibling.

    Removals go by alias (``remove_entries``): another alias holding the same certificate stays,
    and so does its trust in every sibling. A sibling loses an entry under a removed alias unless
    it is its only copy of a certificate the primary still trusts, and loses by fingerprint what the
    primary stopped trusting, so the three stores keep trusting the same certificates.

    Returns ``(stores, contents)``: one report per file, and ``{path: bytes}`` of those that change.
    """
    stores = []
    contents = {}
    sibling_removals = kept = None
    for item in files:
        store = item.load(create=create)
        before = store.summary_lines() if item.exists else ""
        if sibling_removals is None:
            first = remove_entries(store, removals)
            outcome = _merged(first, apply_requests(store, requests, state, on_alias_conflict))
            sibling_removals = _sibling_removals(removals, outcome, _no_longer_trusted(store, outcome))
            kept = _trusted(store)
        else:
            first = remove_entries(store, sibling_removals, keep=kept)
            outcome = _merged(first, apply_requests(store, requests, state, on_alias_conflict))
        changed = bool(outcome["imported"] or outcome["removed"]) or not item.exists
        if changed:
            contents[item.path] = store.dump(item.password)
        stores.append(dict(path=item.path, store_type=store.store_type, changed=changed,
                           before=before, after=store.summary_lines(), **outcome))
    return stores, contents


def stores_result(stores, backups, diff):
    """What truststore_import returns for ``stores`` (from edit_stores), with its diff when asked."""
    primary = stores[0]
    result = dict(
        changed=any(s["changed"] for s in stores),
        path=primary["path"],
        store_type=primary["store_type"],
        imported=primary["imported"],
        removed=primary["removed"],
        # Not "skipped": Ansible would take a non-empty one for a skipped task and drop it.
        already_present=primary["skipped"],
        stores=[dict((k, v) for k, v in s.items() if k not in ("before", "after")) for s in stores],
    )
    for store in result["stores"]:
        if store["path"] in backups:
            store["backup_file"] = backups[store["path"]]
    if diff:
        result["diff"] = [dict(before_header=s["path"], after_header=s["path"],
                               before=s["before"], after=s["after"]) for s in stores if s["changed"]]
    return result
