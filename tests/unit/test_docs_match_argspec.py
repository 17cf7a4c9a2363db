"""Documented options must match the argument spec each module really uses.

``ansible-test sanity`` (validate-modules, see tests/sanity/README.md) compares a module's documentation
with the argument spec its AnsibleModule is built with. It cannot see the spec of a module whose work is
an action plugin's (``truststore_*``, ``peer_trust``, ``security_facts``, ``deprecated_vars``): that
module's file holds only documentation, and the spec is the action's ``ARGUMENT_SPEC``. This checks
those: names, types, defaults, choices, required, elements, and suboptions. The docs come from
``ansible-doc --json`` so doc fragments are merged exactly as users see them. It also checks what
validate-modules does not: every option carrying a password or a ticket is no_log, each thin action
plugin refuses exactly its module's no_log options without pipelining, and the certificate return
fields written out in two modules agree.
"""

import datetime
import importlib
import json
import os
import subprocess
import sys

import pytest
from ansible.module_utils import basic
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from ansible_collections.datafabric.crosscluster.plugins.module_utils import _truststore as truststore

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PACKAGE = "ansible_collections.datafabric.crosscluster.plugins"
MODULES = sorted(name[:-3] for name in os.listdir(os.path.join(ROOT, "plugins", "modules"))
                 if name.endswith(".py") and not name.startswith("_"))
ACTIONS = sorted(name[:-3] for name in os.listdir(os.path.join(ROOT, "plugins", "action")) if name.endswith(".py"))


def _action(module):
    return importlib.import_module("%s.action.%s" % (PACKAGE, module))


# Modules whose work is done by an action plugin: the spec lives there. The other action plugins
# only run their module through plugin_utils/node_call.py, and the spec is the module's.
ACTION_BACKED = [name for name in ACTIONS if hasattr(_action(name), "ARGUMENT_SPEC")]


class _Captured(Exception):
    def __init__(self, spec):
        super().__init__("captured")
        self.spec = spec


def argument_spec(module):
    if module in ACTION_BACKED:
        return _action(module).ARGUMENT_SPEC
    code = importlib.import_module("%s.modules.%s" % (PACKAGE, module))

    def capture(self, argument_spec, **_kwargs):
        raise _Captured(argument_spec)

    original = basic.AnsibleModule.__init__
    basic.AnsibleModule.__init__ = capture
    try:
        code.main()
    except _Captured as captured:
        return captured.spec
    finally:
        basic.AnsibleModule.__init__ = original
    raise AssertionError("%s.main() never built an AnsibleModule" % module)


@pytest.fixture(scope="module")
def rendered():
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=os.path.join(ROOT, ".cache", "collections"),
               ANSIBLE_HOME=os.path.join(ROOT, ".cache", "ansible-home"))
    ansible_doc = os.path.join(os.path.dirname(sys.executable), "ansible-doc")
    names = ["datafabric.crosscluster.%s" % m for m in MODULES]
    out = subprocess.run([ansible_doc, "--json", "-t", "module"] + names, env=env,
                         capture_output=True, text=True, check=True).stdout
    return json.loads(out)


@pytest.fixture(scope="module")
def docs(rendered):
    return dict((name.rsplit(".", 1)[1], data["doc"]) for name, data in rendered.items())


@pytest.fixture(scope="module")
def returns(rendered):
    return dict((name.rsplit(".", 1)[1], data["return"]) for name, data in rendered.items())


def normalized(options, nested):
    """Options as comparable dicts; ``nested`` names the key that holds suboptions (docs and
    argument specs call it differently)."""
    result = {}
    for name, item in (options or {}).items():
        result[name] = dict(
            type=item.get("type", "str"),
            default=item.get("default"),
            choices=item.get("choices"),
            required=item.get("required", False),
            elements=item.get("elements"),
            suboptions=normalized(item.get(nested), nested) if item.get(nested) else None,
        )
    return result


def test_every_module_is_checked():
    assert {"clusters_conf_entry", "crossclusterticket_merge", "truststore_import"} <= set(MODULES)


def test_only_action_backed_modules_are_left_to_this_check():
    # The others' docs and specs are compared by validate-modules; these module files are docs only.
    assert set(ACTION_BACKED) == {"deprecated_vars", "peer_trust", "security_facts", "truststore_import",
                                  "truststore_info"}
    for module in ACTION_BACKED:
        with open(os.path.join(ROOT, "plugins", "modules", module + ".py"), encoding="utf-8") as handle:
            assert "AnsibleModule" not in handle.read(), module


@pytest.mark.parametrize("module", ACTION_BACKED)
def test_documented_options_match_the_spec(module, docs):
    assert normalized(docs[module].get("options"), "suboptions") == normalized(argument_spec(module), "options")


@pytest.mark.parametrize("module", MODULES)
def test_secret_options_are_no_log(module):
    spec = argument_spec(module)
    for name, item in spec.items():
        # Options that carry a secret value; ticketfile and the like only name a path, and a bool
        # (read_truststore_password) only asks for one, as Ansible's own no_log heuristic allows.
        if item.get("type") == "bool":
            continue
        if name in ("password", "ticket", "tickets") or name.endswith("_password"):
            assert item.get("no_log") is True, "%s.%s must be no_log" % (module, name)


def _described_certificate():
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "docs")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(1).not_valid_before(now).not_valid_after(now + datetime.timedelta(days=1))
            .sign(key, hashes.SHA256()))
    return truststore.Certificate.from_x509(cert).describe("docs", with_pem=True)


def test_certificate_return_fields_match_the_codec_and_each_other(returns):
    """ansible-core merges doc fragments into DOCUMENTATION only, never into RETURN, so the
    certificate fields are written out in each module that returns them. This keeps those copies
    true to what the codec returns and worded alike."""
    described = set(_described_certificate())
    imported = returns["truststore_import"]["imported"]["contains"]
    entries = returns["truststore_info"]["entries"]["contains"]
    assert set(imported) == described - {"pem"}
    assert set(entries) == described | {"type"}
    for field in set(imported) - {"alias"}:
        assert imported[field] == entries[field], field


# Options that are no_log but carry no secret, and why.
NOT_SECRET = {("file_snapshot", "contents"): "truststores and mapr-clusters.conf only; no_log for its size"}


def test_every_module_runs_through_node_call():
    # Facts from a node are filtered, and secrets refused without pipelining, only on that path.
    assert sorted(ACTIONS) == sorted(MODULES)
    from ansible_collections.datafabric.crosscluster.plugins.plugin_utils.node_call import NodeModuleAction
    thin = [name for name in ACTIONS if name not in ACTION_BACKED]
    assert thin and all(issubclass(_action(name).ActionModule, NodeModuleAction) for name in thin)


@pytest.mark.parametrize("module", [m for m in MODULES if m not in ACTION_BACKED])
def test_every_no_log_option_is_refused_without_pipelining(module):
    secret = sorted(name for name, spec in argument_spec(module).items()
                    if spec.get("no_log") and (module, name) not in NOT_SECRET)
    assert sorted(_action(module).ActionModule.SECRETS) == secret
