"""maprlogin through Ansible against the lab's emulated maprlogin and CLDB."""

import os
import re
import signal

import pytest
from ansible_run import env_lookup, run_playbook
from private_dir_holder import start_holder

pytest_plugins = ["lab.fixtures"]


def play(tasks, host="a1", environment=None):
    return [{"name": "maprlogin", "hosts": host, "gather_facts": False, "tasks": tasks,
             "environment": environment or {}}]


def task(**args):
    args.setdefault("mapr_home", "{{ mapr_home }}")
    return {"name": args["command"], "datafabric.crosscluster.maprlogin": args}


def run(lab, tasks, host="a1", environment=None, **kwargs):
    return run_playbook(play(tasks, host, environment), inventory=lab.inventory_path, connection=None, **kwargs)


def own_tmpdir(tmp_path):
    """A temporary directory for the modules of one run, and a task that shows they use it.

    /tmp is shared with the tests running beside this one, whose logins make (and remove) private
    directories of the same names at any moment; a test that looks for leftovers looks here.
    Given to the modules only (the play's environment): ansible-playbook itself keeps a socket in
    its TMPDIR, whose path must stay short.
    """
    private_tmp = tmp_path / "module-tmp"
    private_tmp.mkdir()
    where = {"name": "where modules make temporary files",
             "ansible.builtin.command": {"argv": ["python3", "-c", "import tempfile; print(tempfile.gettempdir())"]}}
    return private_tmp, where


@pytest.fixture
def ticketfile(lab_local, request):
    path = os.path.join(lab_local.node_root("a1"), "tmp", "mod_%s" % request.node.name[:40])
    yield path
    if os.path.exists(path):
        os.unlink(path)


def test_password_login_is_idempotent_and_never_shows_the_password(lab_local, ticketfile):
    a = lab_local.cluster("a")
    login = task(command="password", user="mapr", password=env_lookup("PW"), ticketfile=ticketfile)
    forced = task(command="password", user="mapr", password=env_lookup("PW"), ticketfile=ticketfile, force=True)
    result = run(lab_local, [login, login, forced,
                             task(command="print", ticketfile=ticketfile)],
                 secret_env={"PW": a.owner_password}, verbosity=4).expect_ok()
    first, second, forced, printed = [r["result"] for r in result.results]
    assert first["changed"] and not first["reused"]
    assert not second["changed"] and second["reused"]
    assert forced["changed"] and not forced["reused"]
    [ticket] = printed["tickets"]
    assert ticket["cluster"] == a.name and ticket["user"] == "mapr" and ticket["uid"] == 5000
    assert ticket["expires"] > ticket["created"]
    assert a.owner_password not in result.output
    assert result.files_containing(a.owner_password) == []


def test_a_login_that_keeps_no_ticket_leaves_nothing_and_is_made_every_time(lab_local, ticketfile, tmp_path):
    a = lab_local.cluster("a")
    private_tmp, where = own_tmpdir(tmp_path)
    check = task(command="password", user="mapr", password=env_lookup("PW"), keep_ticket=False)
    wrong = dict(task(command="password", user="mapr", password="Wr0ng-%s" % os.getpid(), keep_ticket=False),
                 ignore_errors=True)
    refused = dict(task(command="password", user="mapr", password=env_lookup("PW"), keep_ticket=False,
                        ticketfile=ticketfile), ignore_errors=True)
    result = run(lab_local, [where, check, check, wrong, refused], secret_env={"PW": a.owner_password},
                 environment={"TMPDIR": str(private_tmp)}).expect_ok()
    tmp, first, again, failed, mixed = [r["result"] for r in result.results]
    assert tmp["stdout"] == str(private_tmp)
    # The ticket was made (print of the private file shows it), and made again: nothing is reused.
    assert [(t["cluster"], t["user"]) for t in first["tickets"]] == [(a.name, "mapr")] and not first["reused"]
    assert again["changed"] and not again["reused"]
    assert failed["failed"] and "maprlogin password failed" in failed["msg"]
    assert mixed["failed"] and mixed["msg"].startswith("keep_ticket=false is for command password or kerberos")
    assert not os.path.exists(ticketfile)
    assert os.listdir(private_tmp) == []
    assert a.owner_password not in result.output


def test_check_mode_does_not_log_in(lab_local, ticketfile):
    a = lab_local.cluster("a")
    result = run(lab_local, [task(command="password", user="mapr", password=env_lookup("PW"),
                                  ticketfile=ticketfile)],
                 secret_env={"PW": a.owner_password}, check=True).expect_ok()
    assert result.result["changed"] and not os.path.exists(ticketfile)


def test_a_wrong_password_fails_with_maprlogins_message_and_no_password(lab_local, ticketfile):
    wrong = "Wr0ng-pass-%s" % os.getpid()
    result = run(lab_local, [task(command="password", user="mapr", password=env_lookup("PW"),
                                  ticketfile=ticketfile)],
                 secret_env={"PW": wrong}, verbosity=4).expect_failed()
    assert "authentication failed" in result.msg and "maprlogin password failed" in result.msg
    assert wrong not in result.output and result.files_containing(wrong) == []


def test_a_remote_cluster_without_trust_fails_clearly(lab_local, ticketfile):
    b = lab_local.cluster("b")
    result = run(lab_local, [task(command="password", cluster=b.name, user="mapr", password=env_lookup("PW"),
                                  ticketfile=ticketfile)],
                 secret_env={"PW": b.owner_password}).expect_failed()
    assert "not configured" in result.msg and b.name in result.msg


def test_generateticket_to_a_file_is_reused_and_to_memory_leaves_nothing(lab_local, tmp_path):
    server_ticket = "{{ mapr_home }}/conf/maprserverticket"
    out = os.path.join(lab_local.node_root("a1"), "tmp", "xt_file")
    generate = task(command="generateticket", type="crosscluster", user="xcsuser", ticketfile=server_ticket,
                    out=out, duration="30:0:0", min_validity="7d")
    in_memory = task(command="generateticket", type="crosscluster", user="xcsuser", ticketfile=server_ticket,
                     duration="30:0:0")
    in_memory["no_log"] = True
    in_memory["register"] = "crossticket"
    show_shape = {"name": "shape", "ansible.builtin.assert": {"that": [
        "crossticket.ticket.split(' ') | length == 2",
        "crossticket.ticket.split(' ')[0] == mapr_cluster_name"]}}
    private_tmp, where = own_tmpdir(tmp_path)
    try:
        result = run(lab_local, [where, generate, generate, in_memory, show_shape], verbosity=4,
                     environment={"TMPDIR": str(private_tmp)}).expect_ok()
        assert result.results[0]["result"]["stdout"] == str(private_tmp)
        first, second = result.results[1]["result"], result.results[2]["result"]
        assert first["changed"] and second["reused"] and not second["changed"]
        assert first["tickets"][0]["user"] == "xcsuser"
        with open(out) as handle:
            blob = handle.read().split()[1]
        # Neither the file's ticket nor the in-memory one (whatever its blob) reaches the output.
        assert blob not in result.output
        hidden = result.results[3]["result"]
        assert "ticket" not in hidden and hidden["censored"]
        assert re.findall(r"%s [A-Za-z0-9+/]{40,}" % re.escape(lab_local.cluster("a").name), result.output) == []
        assert os.listdir(private_tmp) == []
    finally:
        if os.path.exists(out):
            os.unlink(out)


def test_authtest_renew_and_logout(lab_local, ticketfile):
    a = lab_local.cluster("a")
    result = run(lab_local, [
        task(command="password", user="mapr", password=env_lookup("PW"), ticketfile=ticketfile),
        task(command="authtest", ticketfile=ticketfile),
        task(command="renew", ticketfile=ticketfile),
        task(command="logout", ticketfile=ticketfile),
        task(command="print", ticketfile=ticketfile),
    ], secret_env={"PW": a.owner_password}).expect_ok()
    _login, authtest, renew, logout, printed = [r["result"] for r in result.results]
    assert not authtest["changed"] and "succeeded" in authtest["stdout"]
    assert renew["changed"] and renew["tickets"][0]["user"] == "mapr"
    assert logout["changed"] and printed["tickets"] == [] and not os.path.exists(ticketfile)


def test_a_login_removes_what_a_killed_run_left_and_never_a_live_runs(lab_local, tmp_path):
    # Two runs that hold a private directory with a ticket in it, as a module does while maprlogin
    # runs: one is killed with SIGKILL (its finally never runs), the other lives on.
    a = lab_local.cluster("a")
    private_tmp, where = own_tmpdir(tmp_path)
    killed, killed_dir = start_holder(private_tmp)
    live, live_dir = start_holder(private_tmp)
    try:
        os.kill(killed.pid, signal.SIGKILL)
        killed.wait()
        assert os.path.isfile(os.path.join(killed_dir, "ticket"))
        check = task(command="password", user="mapr", password=env_lookup("PW"), keep_ticket=False)
        result = run(lab_local, [where, check], secret_env={"PW": a.owner_password},
                     environment={"TMPDIR": str(private_tmp)}).expect_ok()
        assert result.results[0]["result"]["stdout"] == str(private_tmp)
        assert result.results[1]["result"]["changed"]
        assert os.listdir(private_tmp) == [os.path.basename(live_dir)]
        assert os.path.isfile(os.path.join(live_dir, "ticket"))
    finally:
        live.stdin.close()
        live.wait(timeout=30)
    assert os.listdir(private_tmp) == []
