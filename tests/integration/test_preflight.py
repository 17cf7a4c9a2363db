"""preflight on the lab: every broken prerequisite is named at once, and nothing changes."""

import os
import re
import secrets

import pytest
from ansible_run import deprecation_warnings
from cryptography import x509
from labplay import conf_state, run

pytest_plugins = ["lab.fixtures"]

BCFKS = bytes([0x30, 0x06, 0x30, 0x02, 0x05, 0x00, 0x05, 0x00])


def rewrite(path, old, new):
    with open(path) as handle:
        text = handle.read()
    assert old in text, (path, old)
    with open(path, "w") as handle:
        handle.write(text.replace(old, new))


def test_every_problem_is_reported_before_any_change(make_lab):
    lab = make_lab(mode="local")
    a, b = lab.cluster("a"), lab.cluster("b")
    # a1 is not secure; b2 holds a BCFKS store (so cluster_b is half FIPS); cluster_b runs as hdfs;
    # b's exporter (b1) names a CLDB nobody listens on.
    rewrite(lab.node_path("a1", "conf/mapr-clusters.conf"), "secure=true", "secure=false")
    with open(lab.node_path("b2", "conf/ssl_truststore.bcfks"), "wb") as handle:
        handle.write(BCFKS)
    for host in b.hosts:
        rewrite(lab.node_path(host, "conf/daemon.conf"), "mapr.daemon.user=mapr", "mapr.daemon.user=hdfs")
    cldb = lab.cldb_endpoint("b")[0]
    rewrite(lab.node_path("b1", "conf/mapr-clusters.conf"), cldb + ":", "127.0.0.251:")
    before = conf_state(lab)

    result = run(lab, "all")
    assert result.rc != 0 and conf_state(lab) == before
    [failure] = [r["result"] for r in result.results if r["status"] == "failed"]
    problems = "\n".join(failure["msg"])
    assert failure["msg"][0] == "Cross-cluster trust cannot be set up; nothing was changed."
    assert "a1 (cluster_a): the first line of mapr-clusters.conf lacks secure=true" in problems
    # The gather's keytool finds no provider under b2's lib/ (a cluster half FIPS is only noted).
    assert "b2 (cluster_b): %s: holds no bc-fips-*.jar" % lab.node_path("b2", "lib") in problems
    assert "FIPS mode differs" not in problems
    assert "cluster_a runs as mapr and cluster_b as hdfs" in problems
    assert "cannot reach any CLDB of %s (tried 127.0.0.251:7443)" % b.name in problems
    assert re.search(r"^a\d cannot reach", problems, re.M)
    # Nothing after preflight ran: no trust task has a result.
    assert not [r for r in result.results if "user_trust" in r["task"] or "server_trust" in r["task"]]
    assert a.name not in open(lab.node_path("b3", "conf/mapr-clusters.conf")).read()


def test_same_name_and_missing_user_in_ssh_mode(make_lab):
    lab = make_lab(mode="ssh")
    a, b = lab.cluster("a"), lab.cluster("b")
    for host in b.hosts:
        rewrite(lab.node_path(host, "conf/mapr-clusters.conf"), b.name + " ", a.name + " ")
    before = conf_state(lab)
    result = run(lab, "server", extra_args=["-e", "crosscluster_ticket_user=nosuchuser"])
    assert result.rc != 0 and conf_state(lab) == before
    [failure] = [r["result"] for r in result.results if r["status"] == "failed"]
    problems = "\n".join(failure["msg"])
    assert "cluster_a and cluster_b are both named %s" % a.name in problems
    assert "a1 (cluster_a): the cross-cluster user 'nosuchuser' does not exist" in problems
    assert "b1 (cluster_b): the cross-cluster user 'nosuchuser' does not exist" in problems


def _store_fingerprints(lab, host):
    """SHA-256 of every certificate in each of the host's three truststores, read back independently."""
    import hashlib

    from cryptography.hazmat.primitives import serialization
    from lab.labkit import pki

    conf = lab.node_path(host, "conf")
    found = {"ssl_truststore": set(hashlib.sha256(c.public_bytes(serialization.Encoding.DER)).hexdigest()
                                   for c in pki.read_truststore(conf, lab.cluster_of(host).store_password).values())}
    with open(os.path.join(conf, "ssl_truststore.pem"), "rb") as handle:
        pems = x509.load_pem_x509_certificates(handle.read())
    found["ssl_truststore.pem"] = set(hashlib.sha256(c.public_bytes(serialization.Encoding.DER)).hexdigest()
                                      for c in pems)
    return found


def _ca_fingerprint(cluster):
    import hashlib

    from cryptography.hazmat.primitives import serialization
    with open(cluster.ca_pem, "rb") as handle:
        cert = x509.load_pem_x509_certificate(handle.read())
    return hashlib.sha256(cert.public_bytes(serialization.Encoding.DER)).hexdigest()


@pytest.mark.parametrize("hand_added_on", ["a1", "a2"])
def test_a_cluster_hands_over_only_its_own_ca_whichever_node_exports(make_lab, hand_added_on):
    """A CA added by hand and a cluster trusted earlier stay where they are: trust is never passed on."""
    lab = make_lab(clusters=3, nodes=2, mode="local")
    a, b, c = lab.cluster("a"), lab.cluster("b"), lab.cluster("c")
    from lab.labkit import handtrust, pki
    corporate = pki.make_cluster_pki("corporate", ["corp.example"], []).ca_cert
    pki.add_trusted_cert(lab.node_path(hand_added_on, "conf"), "corporate-root", corporate, a.store_password)
    # An earlier trust with c, as configure-crosscluster.sh leaves it, under the seed's own alias.
    handtrust.import_ca(lab, hand_added_on, c)
    result = run(lab, "user")
    result.expect_ok()
    wanted = {_ca_fingerprint(b), _ca_fingerprint(a)}
    for host in b.hosts:
        for store, found in _store_fingerprints(lab, host).items():
            assert found == wanted, (host, store)
    # The hand-made trust is still on a's node, untouched.
    assert _ca_fingerprint(c) in _store_fingerprints(lab, hand_added_on)["ssl_truststore"]


def test_an_unreachable_node_stops_the_run_unless_left_out_by_name(make_lab):
    lab = make_lab(nodes=2, mode="ssh")
    a, b = lab.cluster("a"), lab.cluster("b")
    down = [h for h in b.hosts if h not in b.cldb_hosts][0]
    lab.stop_host(down)
    before = conf_state(lab)
    result = run(lab, "all")
    assert result.rc != 0 and conf_state(lab) == before
    [failure] = [r["result"] for r in result.results if r["status"] == "failed"]
    problems = "\n".join(failure["msg"])
    assert "%s (cluster_b): cannot be reached" % down in problems
    assert "preflight_skip_unreachable" in problems
    assert a.name not in open(lab.node_path(b.cldb_hosts[0], "conf/mapr-clusters.conf")).read()

    result = run(lab, "all", extra_args=["-e", "preflight_skip_unreachable=true"])
    result.expect_ok()
    summary = "\n".join(result.task("Summary")["msg"])
    assert "nodes not done: %s" % down in summary
    assert a.name in open(lab.node_path(b.cldb_hosts[0], "conf/mapr-clusters.conf")).read()
    lab.start_host(down)
    assert a.name not in open(lab.node_path(down, "conf/mapr-clusters.conf")).read()
    result = run(lab, "all")
    result.expect_ok()
    assert a.name in open(lab.node_path(down, "conf/mapr-clusters.conf")).read()
    assert "nodes not done" not in "\n".join(result.task("Summary")["msg"])


def _give_cluster_a_ca(lab, cluster, not_before, not_after):
    """Re-issue the cluster's CA and server certificate with the given CA validity, on every node."""
    import datetime

    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID
    from lab.labkit import pki

    now = datetime.datetime.now(datetime.timezone.utc)
    ca_key, key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "%s renewed CA" % cluster.name)])
    ca = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name).public_key(ca_key.public_key())
          .serial_number(x509.random_serial_number()).not_valid_before(now + not_before)
          .not_valid_after(now + not_after)
          .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
          .sign(ca_key, hashes.SHA256()))
    leaf = (x509.CertificateBuilder().subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cluster.name)]))
            .issuer_name(ca_name).public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=1)).not_valid_after(now + datetime.timedelta(days=300))
            .sign(ca_key, hashes.SHA256()))
    key_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    for host in cluster.hosts:
        conf = lab.node_path(host, "conf")
        with open(os.path.join(conf, "ssl_keystore.pem"), "wb") as handle:
            handle.write(key_pem + b"".join(c.public_bytes(serialization.Encoding.PEM) for c in (leaf, ca)))
        pki.write_truststores(conf, {"%s-ca" % cluster.name: ca}, cluster.store_password)
    return ca


def test_an_expired_peer_ca_stops_the_run_and_one_expiring_soon_warns(make_lab):
    import datetime
    day = datetime.timedelta(days=1)
    lab = make_lab(nodes=2, mode="local")
    a, b = lab.cluster("a"), lab.cluster("b")
    _give_cluster_a_ca(lab, b, -400 * day, -day)
    before = conf_state(lab)
    result = run(lab, "user")
    assert result.rc != 0 and conf_state(lab) == before
    [failure] = [r["result"] for r in result.results if r["status"] == "failed"]
    problems = "\n".join(failure["msg"])
    assert re.search(r"cluster_b's CA CN=%s renewed CA \(valid \d{4}-\d\d-\d\d to \d{4}-\d\d-\d\d\) has "
                     r"expired\. Fix: renew" % re.escape(b.name), problems), problems

    _give_cluster_a_ca(lab, b, -day, 10 * day)
    result = run(lab, "user", extra_args=["-e", "all_trust_verify=false"]).expect_ok()
    warning = "\n".join(result.task("datafabric.crosscluster.preflight : Warn about what does not stop the run")
                        ["msg"])
    assert "cluster_b's CA CN=%s renewed CA" % b.name in warning and "expires in 9 days" in warning
    assert b.name in open(lab.node_path(a.hosts[1], "conf/mapr-clusters.conf")).read()


DEPRECATION_TASK = ("datafabric.crosscluster.preflight : Warn about deprecated variable names "
                    "(they still work until release 1.0.0)")


def _gathered_under(result):
    """The mapr_home each node was read under, from the gate's message (every path here is missing)."""
    [failure] = [r["result"] for r in result.results if r["status"] == "failed"]
    missing = re.findall(r"(/nonexistent/\w+)/conf/mapr-clusters.conf: does not exist", "\n".join(failure["msg"]))
    return sorted(set(missing))


def test_a_deprecated_per_role_name_still_wins_and_warns_once_the_shared_name_does_not_warn(make_lab):
    lab = make_lab(mode="local")
    before = conf_state(lab)
    warnings_on = {"ANSIBLE_DEPRECATION_WARNINGS": "True"}

    # An upgrading user's inventory still sets the old name, and the new one too: the old one is read.
    old = run(lab, "user", env=warnings_on, extra_args=["-e", "preflight_mapr_home=/nonexistent/old",
                                                        "-e", "crosscluster_mapr_home=/nonexistent/new"])
    assert old.rc != 0 and conf_state(lab) == before
    assert _gathered_under(old) == ["/nonexistent/old"]
    warned = [r for r in old.results if r["task"] == DEPRECATION_TASK and r["status"] == "ok"]
    assert len(warned) == 1, "once per run, not per host"
    assert warned[0]["result"]["names"] == ["preflight_mapr_home"]
    # Printed by Ansible itself, as any deprecation: the name, its replacement, the release, the collection.
    [warning] = deprecation_warnings(old.output)
    assert re.match(r"\[DEPRECATION WARNING\]: The variable preflight_mapr_home \(set for \w+, \w+, \w+ and 3 more\) "
                    r"is deprecated: rename it crosscluster_mapr_home\. ", warning), warning
    assert re.search(r"removed from (collection '?)?datafabric\.crosscluster'? (in )?version 1\.0\.0", warning), warning
    assert "/nonexistent" not in warning, "names only, never a value"

    # deprecation_warnings = False silences it, as it silences Ansible's own.
    quiet = run(lab, "user", env={"ANSIBLE_DEPRECATION_WARNINGS": "False"},
                extra_args=["-e", "preflight_mapr_home=/nonexistent/old"])
    assert [r["result"]["names"] for r in quiet.results if r["task"] == DEPRECATION_TASK] == [["preflight_mapr_home"]]
    assert "DEPRECATION" not in quiet.output

    new = run(lab, "user", env=warnings_on, extra_args=["-e", "crosscluster_mapr_home=/nonexistent/new"])
    assert new.rc != 0 and conf_state(lab) == before
    assert _gathered_under(new) == ["/nonexistent/new"]
    assert [r["result"]["names"] for r in new.results if r["task"] == DEPRECATION_TASK] == [[]]
    assert "DEPRECATION" not in new.output


def test_a_deprecated_truststore_password_name_still_wins_and_no_warning_or_error_holds_its_value(make_lab):
    lab = make_lab(mode="local")
    before = conf_state(lab)
    warnings_on = {"ANSIBLE_DEPRECATION_WARNINGS": "True"}
    # The inventory's mapr_truststore_password opens every store; only a name that is read gives the wrong one.
    wrong = "wrong-" + secrets.token_urlsafe(16)
    secrets_of_the_lab = [wrong] + [lab.cluster(name).store_password for name in ("a", "b")]

    def refused_everywhere(result):
        assert result.rc != 0 and conf_state(lab) == before
        [failure] = [r["result"] for r in result.results if r["status"] == "failed"]
        problems = "\n".join(failure["msg"])
        for host in lab.hosts:
            assert re.search(r"%s \(cluster_\w\): \S+/ssl_truststore: the store password is wrong" % host,
                             problems), problems
        for secret in secrets_of_the_lab:
            assert secret not in result.output, "a truststore password was printed"
        return [r["result"]["names"] for r in result.results if r["task"] == DEPRECATION_TASK]

    old = run(lab, "user", env=warnings_on, extra_args=["-e", "preflight_truststore_password=" + wrong,
                                                        "-e", "all_trust_verify=false"])
    assert refused_everywhere(old) == [["preflight_truststore_password"]]
    [warning] = deprecation_warnings(old.output)
    assert re.match(r"\[DEPRECATION WARNING\]: The variable preflight_truststore_password \(set for \w+, \w+, \w+ "
                    r"and 3 more\) is deprecated: rename it crosscluster_truststore_password\. ", warning), warning

    new = run(lab, "user", env=warnings_on, extra_args=["-e", "crosscluster_truststore_password=" + wrong,
                                                        "-e", "all_trust_verify=false"])
    assert refused_everywhere(new) == [[]]
    assert "DEPRECATION" not in new.output
