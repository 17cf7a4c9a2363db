"""Inputs that cannot be smuggled, through Ansible: each bad value fails its task with a message
naming the option (or file and line), the problem and the fix, never shows a secret, and leaves
every file it was pointed at byte-identical.

Each case gets its own copy of the file, so "byte-identical" is checked per bad input; every case
is recorded for the reliability report.
"""

import hashlib
import json

from ansible_run import env_lookup, fqcn, run_playbook
from reliability import record
from stores import Ca, pem_bytes

BLOB = "QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo="  # base64, not a real ticket
BLOB_SECRET = "U2VjcmV0VGlja2V0Qm9keVRoYXRNdXN0TmV2ZXJMZWFr"
PASSWORD_SECRET = "Tr0ub4dor-never-shown"
NONCE_SECRET = "n0nce-never-shown-7Qx"
CONF = "# written by configure.sh\na.example secure=true ca1.example.com:7222\n"
TICKETS = "a.example %s\n" % BLOB
KRB5 = "[libdefaults]\n\tdefault_realm = A.EXAMPLE\n\n[realms]\n\tA.EXAMPLE = {\n\t\tkdc = kdc.a.example\n\t}\n"
BIG = 70 * 1024
# A message about one bad value stays short whatever the value's size.
MESSAGE_BOUND = 1000
CA = Ca("bad-inputs CA")
KEY_CA = Ca("bad-inputs key CA")


def _sha256(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


class Cases:
    """Bad-input tasks, each on its own file; ``check`` runs them and judges every one."""

    def __init__(self, tmp_path):
        self.tmp_path = tmp_path
        self.cases = []
        self.secret_env = {}

    def add(self, name, module, content, args, words, secrets=(), file_arg="path", extension=".conf",
            secret_args=None):
        path = self.tmp_path / (name.replace(" ", "_") + extension)
        path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
        task_args = dict(args)
        task_args[file_arg] = str(path)
        for option, value in (secret_args or {}).items():
            var = "BAD_INPUT_%d" % len(self.secret_env)
            # Secrets travel in the environment as JSON, so a newline or CR in them arrives intact.
            self.secret_env[var] = json.dumps(value)
            task_args[option] = env_lookup(var, json_value=True)
        self.cases.append(dict(name=name, path=path, sha256=_sha256(path), words=words, secrets=secrets,
                               task={"name": name, fqcn(module): task_args, "ignore_errors": True}))

    def check(self):
        play = [{"hosts": "all", "gather_facts": False, "tasks": [case["task"] for case in self.cases]}]
        result = run_playbook(play, secret_env=self.secret_env, tmp_dir=self.tmp_path).expect_ok()
        for case in self.cases:
            res = result.task(case["name"])
            msg = str(res.get("msg", ""))
            assert res.get("failed") and not res.get("changed"), result.describe()
            for words in case["words"]:
                assert words in msg, (case["name"], msg)
            assert "Fix: " in msg and len(msg) < MESSAGE_BOUND, (case["name"], msg[:300])
            for secret in case["secrets"]:
                assert secret not in result.output and secret not in json.dumps(result.results), case["name"]
            identical = _sha256(case["path"]) == case["sha256"]
            record("bad_input", case["name"], where="module", message=msg[:200], files_identical=identical)
            assert identical, case["name"]
        return result


def test_clusters_conf_entry_refuses_smuggled_and_oversized_values(tmp_path):
    cases = Cases(tmp_path)
    module = "clusters_conf_entry"
    smuggled = "c.example secure=true cc1:7222\nevil.example secure=false evil:7222"
    cases.add("conf line smuggling a second cluster", module, CONF, dict(line=smuggled),
              ["option line: contains the control character U+000A (line feed) at character 31"])
    cases.add("conf line with a trailing newline", module, CONF, dict(line="c.example secure=true cc1:7222\n"),
              ["option line", "U+000A (line feed) at character 31"])
    cases.add("conf line with a tab", module, CONF, dict(line="c.example\tsecure=true cc1:7222"),
              ["option line", "U+0009 (tab) at character 10"])
    cases.add("conf line with an escape sequence", module, CONF, dict(line="c.example secure=true cc1:7222\x1b[2K"),
              ["option line", "U+001B (escape)"])
    cases.add("conf lines item with a carriage return", module, CONF,
              dict(lines=["c.example secure=true cc1:7222", "d.example secure=true cd1:7222\r"]),
              ["option lines, item 2", "U+000D (carriage return)"])
    cases.add("conf name with a newline", module, CONF, dict(name="c.example\n", secure=True, hosts=["cc1"]),
              ["option name", "U+000A"])
    cases.add("conf hosts item with a newline", module, CONF,
              dict(name="c.example", secure=True, hosts=["cc1:7222", "cc2:7222\nevil.example e:1"]),
              ["option hosts, item 2", "U+000A"])
    cases.add("conf option value with a newline", module, CONF,
              dict(name="c.example", secure=True, hosts=["cc1"], options={"cldbHttpsPort": "7443\nx"}),
              ["option options, 'cldbHttpsPort'", "U+000A"])
    cases.add("conf option key with a tab", module, CONF,
              dict(name="c.example", secure=True, hosts=["cc1"], options={"kerberos\tEnable": "true"}),
              ["option options, a key", "U+0009"])
    cases.add("conf line of 70 KiB", module, CONF, dict(line="c.example secure=true " + "h" * BIG),
              ["option line: is %d characters long, longer than the limit of 65536" % (BIG + 22)])
    cases.add("conf line absent with a newline in the name", module, CONF, dict(name="a.example\n", state="absent"),
              ["option name", "U+000A"])
    latin1 = (CONF + "# Stra\xdfe\n").encode("latin-1")
    cases.add("conf file that is not UTF-8", module, latin1, dict(line="c.example secure=true cc1:7222"),
              ["line 3: is not UTF-8 text: the byte at column 7"])
    cases.check()


def test_crossclusterticket_merge_refuses_smuggled_tickets_without_showing_them(tmp_path):
    cases = Cases(tmp_path)
    module = "crossclusterticket_merge"
    secret = (BLOB_SECRET,)
    cases.add("ticket with a trailing newline", module, TICKETS, {},
              ["option ticket: contains a control character"], secret,
              secret_args=dict(ticket="b.example %s\n" % BLOB_SECRET))
    cases.add("ticket smuggling a second line", module, TICKETS, {}, ["option ticket: contains a control character"],
              secret, secret_args=dict(ticket="b.example %s\nevil.example %s" % (BLOB_SECRET, BLOB_SECRET)))
    cases.add("tickets item with a carriage return", module, TICKETS, {},
              ["option tickets, item 2: contains a control character"], secret,
              secret_args=dict(tickets=["b.example %s" % BLOB, "c.example %s\r" % BLOB_SECRET]))
    cases.add("ticket cluster with a newline", module, TICKETS, dict(cluster="b.example\n"),
              ["option cluster", "U+000A"], secret, secret_args=dict(ticket=BLOB_SECRET))
    cases.add("ticket of 70 KiB", module, TICKETS, {}, ["option ticket: is longer than the limit of 65536"],
              secret, secret_args=dict(ticket="b.example " + BLOB_SECRET * (BIG // len(BLOB_SECRET))))
    cases.add("ticket file that is not UTF-8", module, TICKETS.encode() + b"\n# \xff\n", {},
              ["line 3: is not UTF-8 text: the byte at column 3"], secret,
              secret_args=dict(ticket="b.example %s" % BLOB_SECRET))
    cases.check()


def test_krb5_conf_refuses_control_characters_in_every_value(tmp_path):
    cases = Cases(tmp_path)
    module = "krb5_conf"
    cases.add("krb5 realm with a newline", module, KRB5, dict(realm="B.EXAMPLE\n[libdefaults]", kdcs=["kdc.b"]),
              ["option realm", "U+000A"])
    cases.add("krb5 kdc smuggling a section", module, KRB5, dict(realm="B.EXAMPLE", kdcs=["kdc.b\n[realms]"]),
              ["option kdcs, item 1", "U+000A"])
    cases.add("krb5 admin_server with a tab", module, KRB5, dict(realm="B.EXAMPLE", admin_server="kdc.b\t"),
              ["option admin_server", "U+0009"])
    cases.add("krb5 domain with a carriage return", module, KRB5, dict(realm="B.EXAMPLE", domains=["b.example\r"]),
              ["option domains, item 1", "U+000D"])
    cases.add("krb5 capath via with a newline", module, KRB5,
              dict(realm="B.EXAMPLE", capaths=[dict(client_realm="A.EXAMPLE", server_realm="B.EXAMPLE",
                                                    via=["C.EXAMPLE\n"])]),
              ["option capaths, item 1, via, item 1", "U+000A"])
    cases.add("krb5 auth_to_local rule with a newline", module, KRB5,
              dict(realm="B.EXAMPLE", auth_to_local=["RULE:[1:$1@$0](.*@B)s/@.*//\nDEFAULT"]),
              ["option auth_to_local, item 1", "U+000A"])
    cases.add("krb5 realms item kdc with a control character", module, KRB5,
              dict(realms=[dict(realm="B.EXAMPLE", kdcs=["kdc.b"]), dict(realm="C.EXAMPLE", kdcs=["kdc.c\x01"])]),
              ["option realms, item 2, kdcs, item 1", "U+0001"])
    cases.add("krb5 file that is not UTF-8", module, KRB5.encode() + b"# K\xf6ln\n",
              dict(realm="B.EXAMPLE", kdcs=["kdc.b"]), ["line 8: is not UTF-8 text: the byte at column 4"])
    cases.check()


def test_kadmin_and_maprlogin_modules_refuse_before_running_anything(tmp_path):
    # Neither module needs its tool for this: the options are refused before the tool is looked up.
    # The files each task names (krb5_config, ticketfile) must stay as they were.
    cases = Cases(tmp_path)
    principal = "krb5_principal"
    cases.add("principal with a trailing newline", principal, KRB5,
              dict(principal="krbtgt/B.EXAMPLE@A.EXAMPLE\n"), ["option principal", "U+000A"], (PASSWORD_SECRET,),
              file_arg="krb5_config", secret_args=dict(password=PASSWORD_SECRET))
    cases.add("principal password with a newline", principal, KRB5, dict(principal="krbtgt/B.EXAMPLE@A.EXAMPLE"),
              ["option password: contains a control character"], (PASSWORD_SECRET,), file_arg="krb5_config",
              secret_args=dict(password=PASSWORD_SECRET + "\naddprinc evil"))
    cases.add("principal realm with a carriage return", principal, KRB5,
              dict(principal="krbtgt/B.EXAMPLE", realm="A.EXAMPLE\r"), ["option realm", "U+000D"],
              (PASSWORD_SECRET,), file_arg="krb5_config", secret_args=dict(password=PASSWORD_SECRET))
    cases.add("principal of 2 KiB", principal, KRB5, dict(principal="p" * 2048, state="absent"),
              ["option principal: is 2048 characters long, longer than the limit of 1024"], file_arg="krb5_config")
    cases.add("principal_info principal with a newline", "krb5_principal_info", KRB5,
              dict(principals=["krbtgt/B.EXAMPLE@A.EXAMPLE", "x@A.EXAMPLE\ndelprinc y"]),
              ["option principals, item 2", "U+000A"], file_arg="krb5_config")
    # The nonce keys the digests of the KDC's keys: with them it allows guessing a weak password offline.
    cases.add("principal_info nonce with a newline", "krb5_principal_info", KRB5,
              dict(principals=["krbtgt/B.EXAMPLE@A.EXAMPLE"]), ["option digest_nonce: contains a control character"],
              (NONCE_SECRET,), file_arg="krb5_config", secret_args=dict(digest_nonce=NONCE_SECRET + "\n"))
    cases.add("principal_info principal with a newline, a nonce given", "krb5_principal_info", KRB5,
              dict(principals=["x@A.EXAMPLE\ndelprinc y"]), ["option principals, item 1", "U+000A"],
              (NONCE_SECRET,), file_arg="krb5_config", secret_args=dict(digest_nonce=NONCE_SECRET))
    login = "maprlogin"
    cases.add("maprlogin user with a newline", login, TICKETS, dict(command="print", user="mapr\n"),
              ["option user", "U+000A"], file_arg="ticketfile")
    cases.add("maprlogin password with a newline", login, TICKETS, dict(command="password", user="mapr"),
              ["option password: contains a control character"], (PASSWORD_SECRET,), file_arg="ticketfile",
              secret_args=dict(password=PASSWORD_SECRET + "\n"))
    cases.add("maprlogin cluster with a tab", login, TICKETS, dict(command="print", cluster="a.example\t"),
              ["option cluster", "U+0009"], file_arg="ticketfile")
    cases.add("maprlogin duration with a newline", login, TICKETS,
              dict(command="generateticket", type="crosscluster", user="mapr", duration="30:0:0\n-renewal"),
              ["option duration", "U+000A"], file_arg="ticketfile")
    cases.check()


def test_truststore_import_refuses_keys_and_smuggled_aliases(tmp_path):
    cases = Cases(tmp_path)
    module = "truststore_import"
    store = pem_bytes({"ca": CA})
    common = dict(store_type="pem", companions=False)
    cases.add("truststore alias with a newline", module, store,
              dict(common, certificate=KEY_CA.pem, alias="partner\nfriendlyName: root"),
              ["option alias", "U+000A"], extension=".pem")
    cases.add("truststore certificates alias with a tab", module, store,
              dict(common, certificates=[dict(alias="partner\t", pem=KEY_CA.pem)]),
              ["option certificates, item 1, alias", "U+0009"], extension=".pem")
    key_body = KEY_CA.key_pem.splitlines()[1]
    cases.add("truststore certificate holding a private key", module, store,
              dict(common, certificate=KEY_CA.pem + KEY_CA.key_pem, alias="partner"),
              ["PRIVATE KEY block, not a certificate", "never a private key"], (key_body,), extension=".pem")
    keyed_store = store + KEY_CA.key_pem.encode()
    cases.add("truststore PEM store holding a private key", module, keyed_store,
              dict(common, certificate=KEY_CA.pem, alias="partner"),
              ["PRIVATE KEY block, not a certificate", "never belongs in a truststore"], (key_body,),
              extension=".pem")
    cases.add("truststore PEM store that is not UTF-8", module, b"# \xe9\n" + store,
              dict(common, certificate=KEY_CA.pem, alias="partner"),
              ["line 1: is not UTF-8 text: the byte at column 3"], extension=".pem")
    cases.check()
