"""Revoking one pair of a mesh on the lab: exactly what the collection added goes, in both
directions; what an administrator added by hand stays; every other pair keeps working.

Then the rotation of crosscluster tickets: a ticket close to expiry, or every ticket on request,
is made anew, and the old one keeps working until the new one replaces it.
"""

import os

from ansible_run import run_playbook
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from lab.labkit import checks, handtrust, jvm, pki, renew
from labplay import PLAYBOOK, changed_hosts, conf_state

pytest_plugins = ["lab.fixtures"]

MESH = {"mesh": ["cluster_a", "cluster_b", "cluster_c"], "type": "all"}
REVOKE_AB = {"clusters": ["cluster_b", "cluster_a"], "type": "all", "state": "absent"}
HAND_LINE = "x.hand.example secure=true 10.9.9.9:7222"


def play(lab, trusts, **kwargs):
    extra = dict(kwargs.pop("extra_vars", {}), crosscluster_trusts=trusts)
    return run_playbook(PLAYBOOK, inventory=lab.inventory_path, connection=None, extra_vars=extra, **kwargs)


def aliases(lab, host, store="ssl_truststore"):
    return set(jvm.keytool_list(lab.node_path(host, "conf/" + store), lab.cluster_of(host).store_password))


def conf_names(lab, host):
    with open(lab.node_path(host, "conf/mapr-clusters.conf"), encoding="utf-8") as fh:
        return [line.split()[0] for line in fh if line.strip()]


def ticket_clusters(lab, host):
    with open(lab.node_path(host, "conf/maprserverticket"), encoding="ascii") as fh:
        return [line.split()[0] for line in fh if line.strip()]


def pem_subjects(lab, host):
    with open(lab.node_path(host, "conf/ssl_truststore.pem"), "rb") as fh:
        return sorted(c.subject.rfc4514_string() for c in x509.load_pem_x509_certificates(fh.read()))


def pki_sha256(cert):
    return cert.fingerprint(hashes.SHA256()).hex()


def hand_trust(lab):
    """On a1, by hand: B's CA under the administrator's own alias, and a line for another cluster."""
    a1 = "a1"
    with open(lab.cluster("b").ca_pem, "rb") as fh:
        cert = x509.load_pem_x509_certificate(fh.read())
    pki.add_trusted_cert(lab.node_path(a1, "conf"), "corporate-b", cert, lab.cluster("a").store_password)
    handtrust.add_conf_line(lab, a1, HAND_LINE)


def test_revoking_one_pair_of_a_mesh(make_lab):
    lab = make_lab(clusters=3, nodes=2)
    a, b, c = lab.cluster("a"), lab.cluster("b"), lab.cluster("c")
    hand_trust(lab)
    play(lab, [MESH]).expect_ok()
    assert "corporate-b" in aliases(lab, "a1")
    built = conf_state(lab)
    b_aliases_on_a2 = set(x for x in aliases(lab, "a2") if x.startswith(b.name))
    assert len(b_aliases_on_a2) == 1

    # Check mode and diff name exactly what would go, on which node, and change nothing.
    dry = play(lab, [MESH, REVOKE_AB], check=True, diff=True).expect_ok()
    assert conf_state(lab) == built
    assert changed_hosts(dry) == ["a1", "a2", "b1", "b2"]
    writes = dict((r["host"], r["result"]) for r in dry.results if r["action"].endswith("peer_trust")
                  and r["result"].get("changed"))
    assert [item["alias"] for item in writes["a2"]["truststore"]["removed"]] == sorted(b_aliases_on_a2)
    conf_diff = [d for d in writes["b1"]["diff"] if d["after_header"].endswith("/mapr-clusters.conf")][0]
    assert a.name in conf_diff["before"] and a.name not in conf_diff["after"]

    # The real run; its verify step checks that the revoked peers now refuse a login and a call.
    done = play(lab, [MESH, REVOKE_AB]).expect_ok()
    assert changed_hosts(done) == ["a1", "a2", "b1", "b2"]
    logins = dict((r["host"], r["result"]["results"]) for r in done.results
                  if r["task"].endswith("Log in to the peer cluster as a user would (a revoked peer must refuse)")
                  and r["status"] != "skipped")
    # Only the clusters whose files changed check; cluster_c changed nothing (the lab's checks below
    # show its trust still works).
    assert sorted(logins) == ["a1", "b1"]
    refusal = [item for item in logins["a1"] if item["item"] == "cluster_b"][0]
    assert not refusal["failed"] and b.name in refusal["msg"]
    assert [item["item"] for item in logins["a1"]] == ["cluster_c", "cluster_b"]
    summary = [r for r in done.results if r["task"] == "Summary"][0]["result"]["msg"]
    assert ("user trust   cluster_b -> cluster_a: 2 nodes of cluster_b no longer reach or trust cluster_a; "
            "changed on 2") in summary

    for host in ("a1", "a2"):
        assert b.name not in conf_names(lab, host) and c.name in conf_names(lab, host)
        assert not any(x.startswith(b.name) for x in aliases(lab, host) | aliases(lab, host, "ssl_truststore.p12"))
        assert checks.user_login(lab, host, "b").returncode != 0
        assert checks.user_login(lab, host, "c").returncode == 0
    for host in ("b1", "b2"):
        assert a.name not in conf_names(lab, host)
        assert not any(x.startswith(a.name) for x in aliases(lab, host))
        assert checks.user_login(lab, host, "a").returncode != 0
        assert checks.user_login(lab, host, "c").returncode == 0
    assert b.name not in ticket_clusters(lab, "a1") and a.name not in ticket_clusters(lab, "b1")
    assert checks.server_call(lab, "a1", "b").returncode != 0 and checks.server_call(lab, "b1", "a").returncode != 0
    assert checks.server_call(lab, "a1", "c").returncode == 0 and checks.server_call(lab, "b1", "c").returncode == 0
    assert checks.server_call(lab, "c1", "a").returncode == 0 and checks.server_call(lab, "c1", "b").returncode == 0
    assert checks.user_login(lab, "c1", "a").returncode == 0 and checks.user_login(lab, "c2", "b").returncode == 0
    # What the administrator added by hand is untouched; the PEM sibling lost only B's CA on a2.
    assert "corporate-b" in aliases(lab, "a1") and HAND_LINE.split()[0] in conf_names(lab, "a1")
    assert len(pem_subjects(lab, "a2")) == 2
    # c's nodes never changed.
    after = conf_state(lab)
    assert all(after[k] == built[k] for k in built if k.startswith("c"))

    # Revoking twice changes nothing.
    again = play(lab, [MESH, REVOKE_AB]).expect_ok()
    assert changed_hosts(again) == [] and conf_state(lab) == after


def ticket_line(lab, host, cluster):
    with open(lab.node_path(host, "conf/maprserverticket"), encoding="ascii") as fh:
        return next(line.strip() for line in fh if line.split()[0] == cluster.name)


def server_call_with(lab, host, remote, line):
    """A server of host's cluster calls remote with a ticket file holding only ``line``."""
    path = os.path.join(lab.node_root(host), "tmp", "one-ticket")
    with open(path, "w", encoding="ascii") as fh:
        fh.write(line + "\n")
    try:
        env = {"MAPR_TICKETFILE_LOCATION": lab.node_view(host, path)}
        return lab.run_on(host, ["maprcli", "dashboard", "info", "-cluster", lab.cluster(remote).name], env=env)
    finally:
        os.unlink(path)


def test_tickets_are_rotated_before_they_expire_and_on_request(make_lab):
    lab = make_lab(clusters=2, nodes=1)
    a = lab.cluster("a")
    pair = [{"clusters": ["cluster_a", "cluster_b"], "type": "all"}]
    short = {"server_trust_ticket_duration": "0:0:20", "server_trust_ticket_renewal": "0:0:20"}
    play(lab, pair, extra_vars=short).expect_ok()
    old = ticket_line(lab, "b1", a)

    # Nothing to do while the held ticket has more than min_validity left.
    calm = play(lab, pair, extra_vars=dict(short, crosscluster_ticket_min_validity="10m")).expect_ok()
    assert changed_hosts(calm) == [] and ticket_line(lab, "b1", a) == old

    # Less than min_validity left: renewed, and the old ticket still works after the new one is in.
    renewed = play(lab, pair, extra_vars=dict(short, crosscluster_ticket_min_validity="1h")).expect_ok()
    assert changed_hosts(renewed) == ["a1", "b1"]
    new = ticket_line(lab, "b1", a)
    assert new != old
    assert server_call_with(lab, "b1", "a", old).returncode == 0
    assert server_call_with(lab, "b1", "a", new).returncode == 0

    # Rotation on request, although the held tickets are valid for long.
    play(lab, pair).expect_ok()
    held = ticket_line(lab, "b1", a)
    assert changed_hosts(play(lab, pair)) == []
    rotated = play(lab, pair, extra_vars={"server_trust_rotate": True}).expect_ok()
    assert changed_hosts(rotated) == ["a1", "b1"] and ticket_line(lab, "b1", a) != held
    assert server_call_with(lab, "b1", "a", held).returncode == 0
    assert checks.server_call(lab, "b1", "a").returncode == 0


def test_two_peers_under_one_ca_keep_it_until_the_last_is_revoked(make_lab):
    lab = make_lab(clusters=3, nodes=1)
    shared = renew.renew_ca(lab, "b")
    renew.renew_ca(lab, "c", issuer=shared)
    both = [{"clusters": ["cluster_a", "cluster_b"], "type": "user"},
            {"clusters": ["cluster_a", "cluster_c"], "type": "user"}]
    play(lab, both, extra_vars={"all_trust_verify": False}).expect_ok()
    b, c = lab.cluster("b"), lab.cluster("c")
    shared_alias = "%s-%s" % (b.name, pki_sha256(shared.ca_cert)[:12])
    # Imported once, under the first peer's alias; c's line is there too.
    assert shared_alias in aliases(lab, "a1") and not any(x.startswith(c.name) for x in aliases(lab, "a1"))
    assert checks.user_login(lab, "a1", "b").returncode == 0 and checks.user_login(lab, "a1", "c").returncode == 0

    keep_c = [dict(both[0], state="absent"), both[1]]
    play(lab, keep_c).expect_ok()
    assert shared_alias in aliases(lab, "a1") and shared_alias in aliases(lab, "a1", "ssl_truststore.p12")
    assert checks.user_login(lab, "a1", "c").returncode == 0
    assert checks.user_login(lab, "a1", "b").returncode != 0 and b.name not in conf_names(lab, "a1")

    play(lab, [dict(t, state="absent") for t in both]).expect_ok()
    assert not any(x.startswith(b.name) or x.startswith(c.name) for x in aliases(lab, "a1"))
    assert checks.user_login(lab, "a1", "c").returncode != 0


def test_a_ca_imported_by_hand_after_the_build_outlives_the_revoke(make_lab):
    """Built first, then the administrator imports B's CA with keytool under an alias of their own
    (JKS and p12) and appends it to the PEM store: the revoke removes the collection's alias only."""
    lab = make_lab(clusters=2, nodes=1)
    b = lab.cluster("b")
    pair = {"clusters": ["cluster_a", "cluster_b"], "type": "user"}
    quiet = {"all_trust_verify": False}
    play(lab, [pair], extra_vars=quiet).expect_ok()
    with open(b.ca_pem, "rb") as fh:
        b_ca = x509.load_pem_x509_certificate(fh.read())
    b_subject = b_ca.subject.rfc4514_string()
    ours = "%s-%s" % (b.name, pki_sha256(b_ca)[:12])
    assert ours in aliases(lab, "a1") and ours in aliases(lab, "a1", "ssl_truststore.p12")
    handtrust.import_ca_by_keytool(lab, "a1", b, "my-b-ca")
    assert {ours, "my-b-ca"} <= aliases(lab, "a1") and {ours, "my-b-ca"} <= aliases(lab, "a1", "ssl_truststore.p12")
    assert pem_subjects(lab, "a1").count(b_subject) == 2

    revoke = [dict(pair, state="absent")]
    dry = play(lab, revoke, check=True, diff=True, extra_vars=quiet).expect_ok()
    write = [r["result"] for r in dry.results if r["host"] == "a1" and r["action"].endswith("peer_trust")
             and r["result"].get("changed")][0]
    assert [item["alias"] for item in write["truststore"]["removed"]] == [ours]
    store_diffs = [d for d in write["diff"] if "ssl_truststore" in d["after_header"]]
    assert len(store_diffs) == 3
    for diff in store_diffs:
        # Each store loses the collection's line; the hand alias (JKS, p12) is on both sides, unchanged.
        assert ours in diff["before"] and ours not in diff["after"]
        hand = [line for line in diff["before"].splitlines() if line.startswith("my-b-ca ")]
        assert all(line in diff["after"].splitlines() for line in hand)
        assert len(hand) == (0 if diff["after_header"].endswith(".pem") else 1)

    play(lab, revoke, extra_vars=quiet).expect_ok()
    for store in ("ssl_truststore", "ssl_truststore.p12"):
        held = aliases(lab, "a1", store)
        assert "my-b-ca" in held and ours not in held
    assert pem_subjects(lab, "a1").count(b_subject) == 1
    assert b.name not in conf_names(lab, "a1")
    built = conf_state(lab)
    again = play(lab, revoke, extra_vars=quiet).expect_ok()
    assert changed_hosts(again) == [] and conf_state(lab) == built
