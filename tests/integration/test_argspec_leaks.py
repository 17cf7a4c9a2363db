"""No secret in the output of a role's argument validation, at any verbosity.

Before each role entry point that has a spec, ansible-core runs validate_argument_spec; when it fails,
its result holds the whole spec as templated for the host (``argument_spec_data``) besides the error
messages, and the default callback prints it at every verbosity. A templated default such as
``{{ mapr_truststore_password }}`` printed every cluster's password there.

On a local-mode lab each node gets one kind of mistake in its crosscluster_trusts (validation runs per
host with the host's variables, so one run tries them all), some with password variables of the wrong
type. Every entry point of every role's meta/argument_specs.yml runs (include_role, one block each,
rescued so that the next one runs), then the main playbook (import_role), at the default verbosity and
at -vvvv. Each must fail in validation on every node with that node's error, no file may change, and
no store, owner, cross-cluster or Kerberos password may appear in the output, ANSIBLE_LOG_PATH, the
command lines or the run's files. `make newest` runs it on the newest ansible-core as well.
"""

import glob
import os
import re
import secrets

import pytest
import yaml
from ansible.release import __version__ as ANSIBLE_CORE
from ansible_run import ROOT, run_playbook
from lab.labkit import Lab
from labplay import conf_state
from leakscan import scan
from procwatch import ProcessWatch

PAIR = ["cluster_a", "cluster_b"]
NO_TYPE = [{"clusters": PAIR}]
WRONG = dict((name, "wrong-type-" + secrets.token_urlsafe(16))
             for name in ("store", "companion", "kerberos list", "kerberos string", "entry", "shared store",
                          "deprecated store"))
UNSET = object()

# The node's crosscluster_trusts (UNSET: undefined), its password variables, a text all its entry points'
# argument_errors hold, and one that kerberos_trust's hold.
MISTAKES = {
    "a1": ("an unknown type", [{"clusters": PAIR, "type": "mirror"}], {}, "got: mirror", None),
    "a2": ("an entry without type", NO_TYPE, {}, "missing required arguments: type", None),
    "a3": ("a mapping instead of a list", {"clusters": PAIR, "type": "all"}, {}, "of type dict", None),
    "a4": ("a comma string", ",".join(PAIR), {}, "unable to convert to dict", None),
    "b1": ("the variable missing", UNSET, {}, "missing required arguments: crosscluster_trusts", None),
    "b2": ("a password in an entry", [{"clusters": PAIR, "type": "all", "truststore_password": WRONG["entry"]}],
           {}, "crosscluster_trusts.truststore_password. Supported parameters include", None),
    # A str option takes a mapping or a list (it is converted), so only kerberos_trust_passwords fails for
    # its type: these ride along with a trust without type, which fails every entry point.
    "b3": ("passwords as a mapping and lists", NO_TYPE, {
        "mapr_truststore_password": {"password": WRONG["store"]},
        "user_trust_companion_password": [WRONG["companion"]],
        # The variable every role shares, and a deprecated per-role name that still wins over it.
        "crosscluster_truststore_password": {"password": WRONG["shared store"]},
        "report_truststore_password": [WRONG["deprecated store"]],
        "kerberos_trust_passwords": [WRONG["kerberos list"]],
    }, "missing required arguments: type", "'kerberos_trust_passwords' is of type list"),
    "b4": ("Kerberos passwords as a string", NO_TYPE, {
        "kerberos_trust_passwords": "{krbtgt/B.LAB@A.LAB: %s" % WRONG["kerberos string"],
    }, "missing required arguments: type", "unable to evaluate string as dictionary"),
}


def entry_points():
    """(role, entry point) of every role's argument spec, so that a new one is covered without a change here."""
    found = []
    for path in sorted(glob.glob(os.path.join(str(ROOT), "roles", "*", "meta", "argument_specs.yml"))):
        role = path.split(os.sep)[-3]
        with open(path) as handle:
            found += [(role, entry) for entry in yaml.safe_load(handle)["argument_specs"]]
    return found


def _playbook():
    blocks = []
    for role, entry in entry_points():
        include = {"name": "datafabric.crosscluster.%s" % role}
        if entry != "main":
            include["tasks_from"] = entry
        blocks.append({
            "name": "%s %s" % (role, entry),
            "block": [{"name": "Start %s at %s" % (role, entry), "ansible.builtin.include_role": include}],
            # The validation failure is the point; the next entry point runs all the same.
            "rescue": [{"name": "Go on to the next entry point", "ansible.builtin.meta": "clear_host_errors"}],
        })
    return [{"name": "Every role entry point", "hosts": "mapr_clusters", "gather_facts": False, "tasks": blocks},
            {"name": "The main playbook", "ansible.builtin.import_playbook": "datafabric.crosscluster.crosscluster"}]


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """A node per kind of mistake; every cluster has Kerberos passwords too, to be searched for."""
    lab = Lab(str(tmp_path_factory.mktemp("lab-argspec")), clusters=2, nodes=4, mode="local")
    with lab.up():
        with open(lab.inventory_path) as handle:
            inventory = yaml.safe_load(handle)
        lab.kerberos_passwords = {}
        for name, group in inventory["all"]["children"]["mapr_clusters"]["children"].items():
            cross, test = secrets.token_urlsafe(24), secrets.token_urlsafe(24)
            group["vars"].update(kerberos_trust_passwords={"krbtgt/B.LAB@A.LAB": cross}, kerberos_test_password=test)
            lab.kerberos_passwords.update({"%s cross-realm password" % name: cross,
                                           "%s Kerberos test password" % name: test})
            for host, variables in group["hosts"].items():
                _name, trusts, wrong, _error, _kerberos = MISTAKES[host]
                variables.update(wrong)
                if trusts is not UNSET:
                    variables["crosscluster_trusts"] = trusts
        with open(lab.inventory_path, "w") as handle:
            yaml.safe_dump(inventory, handle)
        yield lab


def secrets_of(lab):
    found = dict(lab.kerberos_passwords)
    for cluster in lab.clusters:
        found.update({"%s store password" % cluster.name: cluster.store_password,
                      "%s owner password" % cluster.name: cluster.owner_password,
                      "%s cross-cluster password" % cluster.name: cluster.xcs_password})
    found.update(("wrong-type %s password" % name, value) for name, value in WRONG.items())
    return found


@pytest.mark.parametrize("verbosity", [0, 4], ids=["default verbosity", "-vvvv"])
def test_argument_validation_fails_without_printing_a_secret(lab, tmp_path, verbosity):
    assert sorted(lab.hosts) == sorted(MISTAKES)
    before = conf_state(lab)
    log_path = str(tmp_path / "ansible.log")
    with ProcessWatch() as watch:
        result = run_playbook(_playbook(), inventory=lab.inventory_path, connection=None, verbosity=verbosity,
                              env={"ANSIBLE_LOG_PATH": log_path, "ANSIBLE_FORKS": str(len(MISTAKES))},
                              tmp_dir=tmp_path)
    assert result.rc != 0, result.describe()
    # Validation stopped each role before its first task.
    ran = set(r["action"] for r in result.results)
    assert ran <= {"ansible.builtin.validate_argument_spec", "ansible.builtin.include_role"}, ran
    failed = [r for r in result.results
              if r["action"] == "ansible.builtin.validate_argument_spec" and r["status"] == "failed"]
    seen = sorted((r["result"]["validate_args_context"]["name"].split(".")[-1],
                   r["result"]["validate_args_context"]["argument_spec_name"], r["host"]) for r in failed)
    # Every entry point on every node, then the main playbook's first play (preflight's gather) again.
    expected = sorted([(role, entry, host) for role, entry in entry_points() for host in MISTAKES]
                      + [("preflight", "gather", host) for host in MISTAKES])
    assert seen == expected, result.describe()
    for item in failed:
        mistake, _trusts, _wrong, error, kerberos_error = MISTAKES[item["host"]]
        # ansible-core 2.16 writes a type as "<class 'dict'>", 2.19 and later as "dict".
        errors = re.sub(r"<class '(\w+)'>", r"\1", "\n".join(item["result"]["argument_errors"]))
        assert error in errors, (mistake, errors)
        if kerberos_error and item["result"]["validate_args_context"]["name"].endswith("kerberos_trust"):
            assert kerberos_error in errors, (mistake, errors)
    assert conf_state(lab) == before

    directories = [result.run_dir] + [os.path.join(lab.node_root(h), "tmp") for h in lab.hosts]
    name = "argument validation failures of %d role entry points and the main playbook, %d kinds of mistake, " \
           "%s, ansible-core %s" % (len(entry_points()), len(MISTAKES), "-vvvv" if verbosity else "default verbosity",
                                    ANSIBLE_CORE)
    assert scan(name, secrets_of(lab), result, watch, directories, log_path) == []
