"""A task that must be no_log still fails with the module's own message, never only "censored"."""

from labplay import run

pytest_plugins = ["lab.fixtures"]


def test_a_ticket_that_cannot_be_generated_is_reported_with_the_cause(make_lab):
    lab = make_lab(nodes=2, mode="local")
    a = lab.cluster("a")
    # preflight would name the missing user first: it looks it up on the CLDB nodes unless told not to.
    result = run(lab, "server", verbosity=4, extra_args=["-e", "crosscluster_ticket_user=nosuchuser",
                                                         "-e", "preflight_check_users=false"])
    assert result.rc != 0
    failed = [r for r in result.results if r["status"] == "failed"]
    assert [r["task"] for r in failed] == ["datafabric.crosscluster.server_trust : Stop the run, before any file "
                                           "changes, if the ticket could not be generated or is for another "
                                           "cluster"] * len(failed), result.describe()
    message = "\n".join(r["result"]["msg"] for r in failed)
    assert "nosuchuser" in message and "no such user" in message
    assert "censored" not in message
    for secret in (a.store_password, a.owner_password, a.xcs_password):
        assert secret not in result.output
    # Every node of each cluster stays as it was: nothing was merged anywhere.
    for host in lab.hosts:
        with open(lab.node_path(host, "conf/maprserverticket")) as handle:
            assert len(handle.read().splitlines()) == 1, host
