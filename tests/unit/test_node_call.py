"""plugin_utils/node_call.py: what a node's reply may keep, and when a secret may not be sent.

The connection and become plugins are ansible-core's own, loaded and configured as a task would.
"""

import pytest
from ansible.errors import AnsibleActionFail
from ansible.parsing.dataloader import DataLoader
from ansible.playbook.play_context import PlayContext
from ansible.playbook.task import Task
from ansible.plugins.action.normal import ActionModule as NormalAction
from ansible.plugins.loader import become_loader, connection_loader
from ansible.template import Templar

try:
    from ansible.template import trust_as_template
except ImportError:
    # ansible-core before 2.19 templates every string; 2.19 only those marked as trusted.
    def trust_as_template(value):
        return value

from ansible_collections.datafabric.crosscluster.plugins.plugin_utils import node_call


def test_reply_keeps_only_the_module_namespace_and_ansibles_interpreter():
    reply = dict(changed=False, files=[1],
                 ansible_facts=dict(mapr_security=dict(cluster_name="a"), mapr_truststore_password="x",
                                    ansible_host="evil.example", discovered_interpreter_python="/usr/bin/python3"),
                 add_host=dict(host_name="evil"), add_group="evil", ansible_stats=dict(data=dict(x=1)))
    kept = node_call.keep_documented(reply, "mapr_security")
    assert kept == dict(changed=False, files=[1],
                        ansible_facts=dict(mapr_security=dict(cluster_name="a"),
                                           discovered_interpreter_python="/usr/bin/python3"),
                        # named, so that the caller refuses or warns by name rather than dropping silently
                        dropped_variables=["add_group", "add_host", "ansible_facts.ansible_host",
                                           "ansible_facts.mapr_truststore_password", "ansible_stats"])


def test_reply_without_namespace_sets_no_fact():
    reply = dict(changed=True, ansible_facts=dict(mapr_security=dict(), become_pass="x"))
    assert node_call.keep_documented(reply) == dict(
        changed=True, dropped_variables=["ansible_facts.become_pass", "ansible_facts.mapr_security"])
    # A node cannot clear the list by sending one of its own.
    reply = dict(changed=True, dropped_variables=[], ansible_facts=dict(x=1))
    assert node_call.keep_documented(reply)["dropped_variables"] == ["ansible_facts.x"]
    assert "dropped_variables" not in node_call.keep_documented(dict(changed=True, dropped_variables=["y"]))
    assert node_call.keep_documented(dict(ansible_facts="not a dict", msg="m")) == dict(
        msg="m", dropped_variables=["ansible_facts"])


def test_secrets_in_counts_set_values_only():
    args = dict(password="p", ticket=None, tickets=[], token="", other="x")
    assert node_call.secrets_in(args, ("ticket", "tickets", "token", "password")) == ["password"]
    assert node_call.secrets_in(dict(tickets=["a b"]), ("ticket", "tickets")) == ["tickets"]


def connection(pipelining, become=None):
    conn = connection_loader.get("local", PlayContext(), None)
    conn.set_options(direct=dict(pipelining=pipelining))
    if become:
        conn.set_become_plugin(become_loader.get(become))
    return conn


def core_pipelines(conn, wrap_async=False):
    """ansible-core's own answer: the check _execute_module makes before it writes a module file."""
    action = NormalAction(task=Task(), connection=conn, play_context=PlayContext(), loader=DataLoader(),
                          templar=None, shared_loader_obj=None)
    return action._is_pipelining_enabled("new", wrap_async)


def test_why_not_pipelined_follows_ansible():
    for pipelining, become, wrap_async in ((True, None, False), (True, "sudo", False), (False, None, False),
                                           (True, "su", False), (True, None, True), (False, "su", False)):
        conn = connection(pipelining, become)
        why = node_call.why_not_pipelined(conn, wrap_async)
        # The same answer as ansible-core's own test, with the reason told.
        assert (why is None) == core_pipelines(conn, wrap_async), (pipelining, become, wrap_async)
    assert node_call.why_not_pipelined(connection(False)) == "pipelining is off"
    assert node_call.why_not_pipelined(connection(True, "su")) == "its become method (su) cannot pipeline"
    assert "async" in node_call.why_not_pipelined(connection(True), wrap_async=True)


def test_keep_remote_files_turns_pipelining_off(monkeypatch):
    from ansible import constants as C
    monkeypatch.setattr(C, "DEFAULT_KEEP_REMOTE_FILES", True)
    conn = connection(True)
    assert not core_pipelines(conn)
    assert "ANSIBLE_KEEP_REMOTE_FILES" in node_call.why_not_pipelined(conn)


@pytest.mark.parametrize("value,allowed", [(None, False), (True, True), ("yes", True), ("false", False),
                                           (trust_as_template("{{ 1 == 1 }}"), True)])
def test_opt_out_variable(value, allowed):
    task_vars = {} if value is None else {node_call.ALLOW_VARIABLE: value}
    assert node_call.allowed_files(Templar(loader=None, variables=task_vars), task_vars, "h1") is allowed


def test_opt_out_variable_must_be_boolean():
    task_vars = {node_call.ALLOW_VARIABLE: "perhaps"}
    with pytest.raises(AnsibleActionFail, match="host h1: variable crosscluster_allow_module_files is 'perhaps', "
                                                "not true or false. Fix:"):
        node_call.allowed_files(Templar(loader=None, variables=task_vars), task_vars, "h1")


def test_refusal_names_host_module_option_reason_and_fix():
    msg = str(node_call.refusal("a1", "datafabric.crosscluster.maprlogin", ["password"], "pipelining is off"))
    assert msg.startswith("host a1: datafabric.crosscluster.maprlogin was not run: its option password would be "
                          "written into a file on the node, because pipelining is off. Fix: set ansible_pipelining: "
                          "true")
    assert "crosscluster_allow_module_files: true" in msg


class _Action:
    """Just what run_module touches of an action plugin; the module call records the no_log it ran under."""

    def __init__(self, reply):
        self._play_context = PlayContext()
        # A connection opened by an earlier task keeps that task's play context.
        self._connection = connection(True)
        self._task = type("Task", (), dict(args={}, no_log=False, resolved_action="x.y.z", action="z"))()
        self._templar = Templar(loader=None)
        self.seen = []

        def execute(module_name, module_args, task_vars, **_kwargs):
            self.seen.append((self._play_context.no_log, self._task.no_log, self._connection._play_context.no_log))
            if reply is None:
                raise RuntimeError("the node went away")
            return dict(reply)

        self._execute_module = execute


def test_a_secret_reply_runs_under_no_log_for_that_call_only():
    action = _Action(dict(changed=False, truststore_password="x"))
    node_call.run_module(action, {}, "m", {}, secret_reply=True)
    node_call.run_module(action, {}, "m", {})
    # ssh prints a reply at -vvv unless the play context says no_log: on for the one call, then back.
    assert action._connection._play_context is not action._play_context
    assert action.seen == [(True, True, True), (False, False, False)]
    assert (action._play_context.no_log, action._task.no_log, action._connection._play_context.no_log) == (
        False, False, False)
    failing = _Action(None)
    with pytest.raises(RuntimeError):
        node_call.run_module(failing, {}, "m", {}, secret_reply=True)
    assert (failing._play_context.no_log, failing._task.no_log) == (False, False)


def test_a_secret_task_is_refused_before_the_module_is_called():
    action = _Action(dict(changed=True))
    action._connection = connection(False)
    with pytest.raises(AnsibleActionFail, match="host h1: m was not run: its option password would be written"):
        node_call.run_module(action, {"inventory_hostname": "h1"}, "m", {"password": "p"}, secrets=("password",))
    assert action.seen == []
    assert node_call.run_module(action, {"inventory_hostname": "h1", node_call.ALLOW_VARIABLE: True}, "m",
                                {"password": "p"}, secrets=("password",)) == dict(changed=True)
