# Copyright: datafabric.crosscluster contributors
# Apache License 2.0 (see LICENSE)
"""Controller side of truststore_import: the store password never leaves the controller."""

from ansible.errors import AnsibleActionFail

from ansible_collections.datafabric.crosscluster.plugins.module_utils.errors import CrossclusterError
from ansible_collections.datafabric.crosscluster.plugins.module_utils.inputs import (
    MAX_NAME,
    check_options,
    excerpt,
    read_text,
)
from ansible_collections.datafabric.crosscluster.plugins.module_utils.truststore import (
    Request,
    apply_requests,
    load_certificates,
)
from ansible_collections.datafabric.crosscluster.plugins.plugin_utils.truststore_action import (
    STORE_ARGS,
    NodeFiles,
    TruststoreAction,
)

# A concurrent writer makes the compare-and-swap fail; re-reading converges in one retry in
# practice, a few more cover a busy node.
ATTEMPTS = 4

ARGUMENT_SPEC = dict(
    STORE_ARGS,
    companions=dict(type="bool", default=True),
    certificates=dict(type="list", elements="dict", options=dict(
        alias=dict(type="str"),
        pem=dict(type="str"),
        sha256=dict(type="str"),
    )),
    remove=dict(type="list", elements="dict", default=[], options=dict(
        alias=dict(type="str"),
        sha256=dict(type="str"),
    )),
    certificate=dict(type="str"),
    alias=dict(type="str"),
    state=dict(type="str", choices=["present", "absent"], default="present"),
    on_alias_conflict=dict(type="str", choices=["fail", "replace"], default="fail"),
    create=dict(type="bool", default=False),
    backup=dict(type="bool", default=False),
    mode=dict(type="raw"),
    owner=dict(type="str"),
    group=dict(type="str"),
)


# An alias becomes a friendlyName line of a PEM store, where a newline would start a line of its own.
LIMITS = dict(alias=MAX_NAME, certificates=dict(alias=MAX_NAME, sha256=MAX_NAME),
              remove=dict(alias=MAX_NAME, sha256=MAX_NAME))


def _no_longer_trusted(primary, outcome):
    """Fingerprints the primary store removed (by alias or replaced) and holds no more."""
    kept = set(e.certificate.sha256 for e in primary.entries if e.certificate is not None)
    return [item["sha256"] for item in outcome["removed"] if item["sha256"] not in kept]


def _merged(*outcomes):
    return dict((key, [item for outcome in outcomes for item in outcome[key]]) for key in outcomes[0])


def _apply_to_primary(store, removals, requests, args):
    """``remove`` first, then the asked change: one outcome for one write."""
    first = apply_requests(store, removals, "absent")
    return _merged(first, apply_requests(store, requests, args["state"], args["on_alias_conflict"]))


def _apply_to_sibling(store, requests, dropped, args):
    """The primary's change applied to a sibling, which may lack its aliases (a PEM store without
    friendlyName): what the primary stopped trusting is removed from the sibling by fingerprint."""
    outcome = apply_requests(store, [Request(sha256=fp) for fp in dropped], "absent")
    return _merged(outcome, apply_requests(store, requests, args["state"], args["on_alias_conflict"]))


class ActionModule(TruststoreAction):
    ARGUMENT_SPEC = ARGUMENT_SPEC
    VALIDATION = dict(
        mutually_exclusive=[("certificates", "certificate"), ("certificates", "alias")],
        required_one_of=[("certificates", "certificate", "alias", "remove")],
    )

    def _certificate_text(self, value):
        """``certificate`` is PEM content, or a controller path searched like copy's src."""
        if "-----BEGIN" in value:
            return value, "option certificate"
        try:
            path = self._find_needle("files", value)
        except Exception:
            raise AnsibleActionFail("certificate file %s was not found on the controller. Fix: give "
                                    "PEM content, or a path relative to the playbook's files/" % excerpt(value))
        return read_text(path), path

    def _requests(self, args):
        check_options(args, LIMITS)
        if args["certificates"] is not None:
            items = args["certificates"]
        elif args["certificate"] is None and args["alias"] is None:
            items = []
        else:
            items = [dict(alias=args["alias"], pem=args["certificate"], sha256=None)]
        requests = []
        for number, item in enumerate(items, 1):
            certs = [None]
            if item.get("pem"):
                text, source = self._certificate_text(item["pem"])
                certs = load_certificates(text, "%s (certificate %d)" % (source, number))
                if len(certs) != 1 and args["state"] == "present":
                    raise CrossclusterError(
                        "holds %d certificates; one certificate goes under one alias" % len(certs),
                        path="%s (certificate %d)" % (source, number),
                        fix="list each certificate separately with its own alias")
            for cert in certs:
                requests.append(Request(alias=item.get("alias"), certificate=cert, sha256=item.get("sha256")))
        return requests

    def work(self, args, task_vars):
        requests = self._requests(args)
        removals = [Request(alias=item["alias"], sha256=item["sha256"]) for item in args["remove"]]
        check_mode = self._task.check_mode
        layout = self.layout(args)
        node = NodeFiles(self, task_vars)
        gathered = node.as_gathered(layout)
        for attempt in range(ATTEMPTS):
            # The first attempt starts from what security_facts read, when it did; a conflict reads anew.
            files = gathered if attempt == 0 and gathered is not None else node.read(layout)
            files = [f for f in files if f.exists or f.primary]
            stores = []
            contents = {}
            dropped = None
            for item in files:
                store = item.load(create=args["create"])
                before = store.summary_lines() if item.exists else ""
                if dropped is None:
                    outcome = _apply_to_primary(store, removals, requests, args)
                    dropped = _no_longer_trusted(store, outcome)
                else:
                    outcome = _apply_to_sibling(store, requests, dropped, args)
                changed = bool(outcome["imported"] or outcome["removed"]) or not item.exists
                if changed:
                    contents[item.path] = store.dump(item.password)
                stores.append(dict(path=item.path, store_type=store.store_type, changed=changed,
                                   before=before, after=store.summary_lines(), **outcome))
            backups = {}
            if contents and not check_mode:
                file_args = dict((k, args[k]) for k in ("mode", "owner", "group"))
                written, backups = node.replace(files, contents, args["backup"], file_args, args["create"])
                if not written:
                    continue
            return self._report(stores, backups)
        raise AnsibleActionFail("%s kept changing while this task ran (%d attempts). Fix: re-run when "
                                "no other job writes the store" % (args["path"], ATTEMPTS))

    def _report(self, stores, backups):
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
        if self._task.diff:
            result["diff"] = [dict(before_header=s["path"], after_header=s["path"],
                                   before=s["before"], after=s["after"]) for s in stores if s["changed"]]
        return result
