"""peer_trust through Ansible: the stores and mapr-clusters.conf of one node in one write.

A MapR-like conf directory (three truststore siblings, mapr-clusters.conf) is built in a temporary
directory; the stores are read back with the JVM's keytool and Python's ssl, the conf as text. The
store password reaches Ansible only through the environment.
"""

import base64
import secrets

from ansible_run import env_lookup, run_module, run_playbook
from lab.labkit.credstore import JCEKS_NAME, TRUST_ALIASES, write_credential_store
from stores import Ca, keytool_list, make_mapr_stores, pem_ca_subjects, snapshot

PEER_TRUST = "datafabric.crosscluster.peer_trust"
PASSWORD_VAR = "STOREPASS"
TRUSTED = "trustedCertEntry"
OWN_LINE = "a.example secure=true a1:7222"
LINE_B = "b.example secure=true b1:7222 b2:7222"
LINE_C = "c.example secure=true kerberosEnable=true cldbPrincipal=mapr/c.example@C.EXAMPLE c1:7222"

CA_A = Ca("peer-a CA")
CA_B = Ca("peer-b CA")
CA_C = Ca("peer-c CA")


def node(tmp_path, conf_text="# written by configure.sh\n%s\n" % OWN_LINE):
    """A mapr_home whose stores trust cluster A's own CA; returns (mapr_home, password, every file)."""
    password = "pw-" + secrets.token_urlsafe(12)
    stores = make_mapr_stores(tmp_path / "conf", password, {"a.example": CA_A})
    conf = tmp_path / "conf" / "mapr-clusters.conf"
    if conf_text is not None:
        conf.write_text(conf_text)
    return tmp_path, password, [str(p) for p in stores] + [str(conf)]


def trusting(title, mapr_home, **args):
    args.setdefault("password", env_lookup(PASSWORD_VAR))
    return {"name": title, PEER_TRUST: dict(mapr_home=str(mapr_home), **args), "ignore_errors": True}


def run(tmp_path, password, *tasks, **kwargs):
    play = [{"hosts": "all", "gather_facts": False, "tasks": list(tasks)}]
    return run_playbook(play, secret_env={PASSWORD_VAR: password}, tmp_dir=tmp_path / "run", **kwargs).expect_ok()


def cert(alias, ca):
    return {"alias": alias, "pem": ca.pem}


def expect_trusted(files, password, cas):
    jks, p12, pem = files[:3]
    want = dict((alias, (TRUSTED, ca.sha256)) for alias, ca in cas.items())
    assert keytool_list(jks, password) == want
    assert keytool_list(p12, password, "PKCS12") == want
    assert pem_ca_subjects(pem) == sorted(ca.common_name for ca in cas.values())


def conf_lines(files):
    with open(files[3]) as handle:
        return handle.read().splitlines()


def test_the_peers_certificates_and_lines_land_in_one_write_and_a_rerun_changes_nothing(tmp_path):
    home, password, files = node(tmp_path)
    task = trusting("trust b and c", home, certificates=[cert("b.example", CA_B), cert("c.example", CA_C)],
                    lines=[LINE_B, LINE_C])
    first = run(tmp_path, password, task, diff=True).task("trust b and c")
    assert first["changed"] and not first.get("failed"), first
    assert [item["alias"] for item in first["truststore"]["imported"]] == ["b.example", "c.example"]
    assert first["conf"]["clusters"] == ["a.example", "b.example", "c.example"] and first["conf"]["changed"]
    # One diff per changed file: three stores and the conf.
    assert [d["after_header"] for d in first["diff"]] == files
    assert LINE_C in first["diff"][3]["after"] and LINE_C not in first["diff"][3]["before"]
    expect_trusted(files, password, {"a.example": CA_A, "b.example": CA_B, "c.example": CA_C})
    # The comment and the node's own line stay first; fields are kept as given.
    assert conf_lines(files) == ["# written by configure.sh", OWN_LINE, LINE_B, LINE_C]
    before = snapshot(files)
    again = run(tmp_path, password, task).task("trust b and c")
    assert not again["changed"] and not again.get("failed"), again
    assert [item["alias"] for item in again["truststore"]["already_present"]] == ["b.example", "c.example"]
    assert snapshot(files) == before


def test_check_mode_reports_the_change_and_writes_nothing(tmp_path):
    home, password, files = node(tmp_path)
    before = snapshot(files)
    result = run(tmp_path, password, trusting("trust b", home, certificates=[cert("b.example", CA_B)],
                                              lines=[LINE_B]), check=True, diff=True).task("trust b")
    assert result["changed"] and not result.get("failed"), result
    assert LINE_B in result["diff"][-1]["after"]
    assert snapshot(files) == before


def test_a_refused_certificate_leaves_every_file_as_it_was(tmp_path):
    """The line would have been a change on its own; with one write it waits for its certificate."""
    home, password, files = node(tmp_path)
    before = snapshot(files)
    result = run(tmp_path, password, trusting("clash", home, certificates=[cert("a.example", CA_B)],
                                              lines=[LINE_B])).task("clash")
    assert result.get("failed") and not result.get("changed"), result
    assert "a.example" in result["msg"] and "Fix: " in result["msg"], result["msg"]
    assert snapshot(files) == before


def test_a_revoke_drops_the_line_and_the_certificate_from_every_store(tmp_path):
    home, password, files = node(tmp_path)
    run(tmp_path, password, trusting("trust b and c", home,
                                     certificates=[cert("b.example", CA_B), cert("c.example", CA_C)],
                                     lines=[LINE_B, LINE_C]))
    result = run(tmp_path, password, trusting("revoke b", home, certificates=[cert("c.example", CA_C)],
                                              certificates_remove=[{"alias": "b.example"}], lines=[LINE_C],
                                              remove=["b.example"], backup=True)).task("revoke b")
    assert result["changed"] and not result.get("failed"), result
    assert [item["alias"] for item in result["truststore"]["removed"]] == ["b.example"]
    expect_trusted(files, password, {"a.example": CA_A, "c.example": CA_C})
    assert conf_lines(files) == ["# written by configure.sh", OWN_LINE, LINE_C]
    with open(result["conf"]["backup_file"]) as handle:
        assert LINE_B in handle.read()


def test_the_nodes_own_cluster_line_is_never_removed(tmp_path):
    home, password, files = node(tmp_path)
    before = snapshot(files)
    result = run(tmp_path, password, trusting("remove own", home, certificates=[cert("b.example", CA_B)],
                                              lines=[LINE_B], remove=["a.example"])).task("remove own")
    assert result.get("failed") and "option remove names a.example, this node's own cluster" in result["msg"], \
        result
    changed_own = run(tmp_path, password, trusting("change own", home, lines=["a.example secure=true a9:7222"])
                      ).task("change own")
    assert "option lines names a.example" in changed_own["msg"] and "configure.sh" in changed_own["msg"], changed_own
    # Its own line as it stands is no change at all.
    same = run(tmp_path, password, trusting("same own", home, lines=[OWN_LINE, LINE_B])).task("same own")
    assert same["changed"] and conf_lines(files)[1:] == [OWN_LINE, LINE_B], same
    del before[files[3]]
    assert snapshot(files[:3]) == before


def test_a_node_without_mapr_clusters_conf_is_refused_before_any_store_changes(tmp_path):
    home, password, files = node(tmp_path, conf_text=None)
    before = snapshot(files)
    result = run(tmp_path, password, trusting("no conf", home, certificates=[cert("b.example", CA_B)],
                                              lines=[LINE_B])).task("no conf")
    assert result.get("failed"), result
    assert "mapr-clusters.conf: does not exist" in result["msg"] and "configure.sh" in result["msg"], result["msg"]
    assert snapshot(files) == before


def test_lines_alone_leave_the_stores_unread(tmp_path):
    """No certificate asked: the stores are neither read nor need the password."""
    home, password, files = node(tmp_path)
    before = snapshot(files[:3])
    result = run(tmp_path, password, trusting("line only", home, password=None, lines=[LINE_B])).task("line only")
    assert result["changed"] and "truststore" not in result, result
    assert conf_lines(files)[-1] == LINE_B and snapshot(files[:3]) == before


def test_file_snapshot_called_by_hand_never_returns_the_password(tmp_path):
    """Its action runs the read with no_log and drops the password from the reply, even at -vvvv."""
    home, _password, _files = node(tmp_path)
    (tmp_path / "conf" / "store-passwords.txt").write_text("ssl.server.truststore.password=%s\n" % _password)
    result = run_module("file_snapshot", dict(paths=[], truststore_password_from=str(tmp_path / "conf")),
                        verbosity=4, tmp_dir=tmp_path / "run").expect_ok()
    assert result.result["truststore_password_source"] == str(tmp_path / "conf" / "store-passwords.txt")
    assert "truststore_password" not in result.result
    assert _password not in result.output and result.files_containing(_password) == []


def test_the_password_from_maprtrustcreds_jceks_alone_and_never_its_bytes_in_a_reply(tmp_path):
    """No store-passwords.txt nor ssl-server.xml: the node sends the credential store in the no_log reply,
    the controller decodes it and writes; file_snapshot called by hand drops the store from its reply."""
    home, password, files = node(tmp_path)
    store = tmp_path / "conf" / JCEKS_NAME
    write_credential_store(str(store), dict((alias, password) for alias in TRUST_ALIASES))
    encoded = base64.b64encode(store.read_bytes()).decode("ascii")
    result = run(tmp_path, password, trusting("from the credential store", home, password=None,
                                              certificates=[cert("b.example", CA_B)], lines=[LINE_B]),
                 verbosity=4)
    task = result.task("from the credential store")
    assert task["changed"] and not task.get("failed"), task
    assert task["truststore_password_source"] == str(store)
    expect_trusted(files, password, {"a.example": CA_A, "b.example": CA_B})
    by_hand = run_module("file_snapshot", dict(paths=[], truststore_password_from=str(tmp_path / "conf")),
                         verbosity=4, tmp_dir=tmp_path / "by-hand").expect_ok()
    assert by_hand.result["truststore_password_source"] == str(store)
    assert "truststore_credential_store" not in by_hand.result and "truststore_password" not in by_hand.result
    for run_ in (result, by_hand):
        assert password not in run_.output and encoded[:40] not in run_.output
        assert run_.files_containing(password) == []


def test_a_crlf_conf_is_kept_and_the_warning_names_the_host_and_the_file(tmp_path):
    mapr_home, password, files = node(tmp_path, conf_text=None)
    with open(files[3], "w", newline="") as handle:
        handle.write("# written by configure.sh\r\n%s\r\n" % OWN_LINE)
    result = run(tmp_path, password, trusting("crlf", mapr_home, lines=[LINE_B]))
    done = result.task("crlf")
    assert done["changed"]
    with open(files[3], "rb") as handle:
        assert handle.read() == ("# written by configure.sh\r\n%s\r\n%s\r\n" % (OWN_LINE, LINE_B)).encode()
    # The edit happens on the controller, so the warning comes from the action, with the inventory host.
    warning = ("localhost: %s ends 2 of its 2 lines with CRLF (Windows line ends); they are kept as they are"
               % files[3])
    assert [w for w in done["warnings"] if warning in w], done.get("warnings")
    # ansible-core 2.16 wraps a warning at the terminal width, breaking a long path at a hyphen too.
    assert "[WARNING]" in result.output and "".join(warning.split()) in "".join(result.output.split())
