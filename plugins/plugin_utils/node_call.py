# Copyright: datafabric.crosscluster contributors
# Apache License 2.0 (see LICENSE)
"""The one way every action plugin of the collection runs a module on a node.

Two rules hold for every node call, whoever makes it:

- A call whose arguments carry a secret (a password, a ticket) goes only over pipelining, where the
  module and its arguments reach the node's Python on standard input. Without pipelining Ansible
  writes both into a file in the node's temporary directory (AnsiballZ), where the secret sits on
  disk for the length of the task, and for good with ANSIBLE_KEEP_REMOTE_FILES. The call is refused
  before anything is sent, unless the inventory accepts that cost with ALLOW_VARIABLE.
- A node's reply sets no variable: ``ansible_facts`` keeps only the module's own namespace (and
  the interpreter Ansible itself discovered), and the other keys Ansible acts on for any task
  (``add_host``, ``add_group``, ``ansible_stats``) are dropped. A node (or whoever controls its
  Python) cannot then override a variable of the play, such as a password or a host's address.
"""

from ansible.errors import AnsibleActionFail
from ansible.module_utils.parsing.convert_bool import boolean
from ansible.plugins.action import ActionBase
from ansible.utils.vars import merge_hash

from ansible_collections.datafabric.crosscluster.plugins.module_utils._inputs import excerpt

# Set true (per host or group) to let secret-carrying tasks run without pipelining.
ALLOW_VARIABLE = "crosscluster_allow_module_files"
# Keys of a task result that Ansible acts on whatever the module: they add hosts or set variables.
VARIABLE_KEYS = ("add_host", "add_group", "ansible_stats")
# Ansible's own interpreter discovery result, which it adds after the node replied (a node's own
# keys of these names are removed by Ansible before).
DISCOVERED_PREFIXES = ("discovered_interpreter_", "ansible_discovered_interpreter_")


def _set(value):
    return value is not None and value != "" and value != [] and value != {}


def secrets_in(module_args, secrets):
    """The names of ``secrets`` that ``module_args`` sets, in the order given."""
    return [name for name in secrets if _set(module_args.get(name))]


def why_not_pipelined(connection, wrap_async=False):
    """Why ``connection`` would write the module into a file on the node, in words; None when it pipelines."""
    # The conditions of ansible-core's ActionBase._is_pipelining_enabled, told apart. 2.16 decides there,
    # 2.19 asks the connection (ConnectionBase.is_pipelining_enabled), and where they differ a plugin
    # that always pipelines (winrm, psrp, ssh to Windows) must pass the checks of both: a call is never
    # taken for pipelined when the running core would write the module into a file. ansible-core's own
    # connection plugins can all pipeline and set always_pipeline_modules and has_native_async together:
    # for them the answer is the running core's.
    from ansible import constants as C

    if wrap_async and not (connection.has_native_async and connection.always_pipeline_modules):
        return "the task runs with async, which never pipelines"
    if C.DEFAULT_KEEP_REMOTE_FILES:
        return "ANSIBLE_KEEP_REMOTE_FILES is on, which turns pipelining off"
    if not connection.has_pipelining:
        return "its connection plugin cannot pipeline"
    become = connection.become
    # 2.16 has no become plugin attribute for it and refuses su alone, by name.
    if become is not None and not getattr(become, "pipelining", getattr(become, "name", None) != "su"):
        return "its become method (%s) cannot pipeline" % getattr(become, "name", "?")
    if connection.always_pipeline_modules:
        return None
    try:
        enabled = connection.get_option("pipelining")
    except KeyError:
        enabled = getattr(connection._play_context, "pipelining", False)
    return None if enabled else "pipelining is off"


def allowed_files(templar, task_vars, host):
    """Whether the inventory set ALLOW_VARIABLE true for ``host``."""
    value = task_vars.get(ALLOW_VARIABLE)
    if value is None:
        return False
    value = templar.template(value)
    try:
        return boolean(value, strict=True)
    except TypeError:
        raise AnsibleActionFail(
            "host %s: variable %s is %s, not true or false. Fix: set it to true or false, or remove it"
            % (host, ALLOW_VARIABLE, excerpt(str(value))))


def secrets_refused(action, task_vars, wrap_async=False):
    """Why a call of ``action`` that carries a secret would be refused on its host, or None when it
    would be pipelined or the inventory set ALLOW_VARIABLE."""
    why = why_not_pipelined(action._connection, wrap_async)
    if why is None or allowed_files(action._templar, task_vars, task_vars.get("inventory_hostname") or "?"):
        return None
    return why


def refusal(host, module, secrets, why):
    return AnsibleActionFail(
        "host %s: %s was not run: its option %s would be written into a file on the node, because %s. "
        "Fix: set ansible_pipelining: true for the host (or ANSIBLE_PIPELINING=true; become_method su "
        "cannot pipeline, sudo can), or set %s: true to accept the file (see the README, Secrets)"
        % (host, module, " and ".join(secrets), why, ALLOW_VARIABLE))


# Where keep_documented names what it dropped, for the caller to refuse or warn about by name.
DROPPED = "dropped_variables"


def keep_documented(result, namespace=None):
    """``result`` (a node module's reply, changed in place and returned) without what would set a
    variable: of ``ansible_facts`` only ``namespace`` and Ansible's discovered interpreter stay.

    The names of what was dropped go in ``result[DROPPED]`` (only when there are any): a node that
    sends them is not to be believed, and the caller says so rather than dropping them silently.
    """
    dropped = [key for key in VARIABLE_KEYS if result.pop(key, None) is not None]
    facts = result.pop("ansible_facts", None)
    if isinstance(facts, dict):
        kept = {}
        for key, value in facts.items():
            if (namespace is not None and key == namespace) or str(key).startswith(DISCOVERED_PREFIXES):
                kept[key] = value
            else:
                dropped.append("ansible_facts.%s" % key)
        if kept:
            result["ansible_facts"] = kept
    elif facts is not None:
        dropped.append("ansible_facts")
    result.pop(DROPPED, None)  # the node's own word on it counts for nothing
    if dropped:
        result[DROPPED] = sorted(str(key) for key in dropped)
    return result


def run_module(action, task_vars, module_name=None, module_args=None, secrets=(), namespace=None,
               wrap_async=False, secret_reply=False):
    """Run ``module_name`` (default: the task's module) with ``module_args`` (default: the task's)
    on the node of ``action`` (an ActionBase), and return its reply as keep_documented leaves it.

    ``secrets`` names the options that carry a secret: when one is set and the call would not be
    pipelined, nothing is sent and AnsibleActionFail says why and how to fix it.

    ``secret_reply``: the reply holds a secret, which the caller takes out before anything returns
    it. The call then runs with no_log, whatever the task says: the ssh connection prints every
    reply at -vvv (ansible-core's ``_ssh_retry`` in plugins/connection/ssh.py) unless the play
    context has no_log, and the module itself then logs nothing to the node's syslog.
    """
    task_vars = task_vars or {}
    args = action._task.args if module_args is None else module_args
    carried = secrets_in(args, secrets)
    if carried:
        why = secrets_refused(action, task_vars, wrap_async)
        if why is not None:
            name = module_name or action._task.resolved_action or action._task.action
            raise refusal(task_vars.get("inventory_hostname") or "?", name, carried, why)
    extra = dict(wrap_async=True) if wrap_async else {}
    # The connection may keep the play context of the task that opened it (a reused connection),
    # and it is that one ssh reads: each object that says no_log is turned on, then back.
    holders = [action._task, action._play_context]
    connection_context = getattr(action._connection, "_play_context", None)
    if connection_context is not None and connection_context is not action._play_context:
        holders.append(connection_context)
    saved = [holder.no_log for holder in holders]
    if secret_reply:
        for holder in holders:
            holder.no_log = True
    try:
        result = action._execute_module(module_name=module_name, module_args=module_args, task_vars=task_vars,
                                        **extra)
    finally:
        for holder, value in zip(holders, saved):
            holder.no_log = value
    return keep_documented(result, namespace)


class NodeModuleAction(ActionBase):
    """The thin action plugins: run the task's own module through run_module, as Ansible's normal
    action would (check mode, diff mode and async unchanged).

    A plugin sets SECRETS (its module's options that carry a secret), for a facts module NAMESPACE,
    and SECRET_REPLY ({option: reply keys}) when an option makes the reply hold a secret meant for
    the collection's own actions: the call then runs with no_log and those keys are dropped.
    """

    _supports_check_mode = True
    _supports_async = True
    SECRETS = ()
    NAMESPACE = None
    SECRET_REPLY = {}

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        del tmp
        wrap_async = bool(self._task.async_val and not self._connection.has_native_async)
        dropped = [key for option, keys in self.SECRET_REPLY.items() if _set(self._task.args.get(option))
                   for key in keys]
        try:
            reply = run_module(self, task_vars, secrets=self.SECRETS, namespace=self.NAMESPACE, wrap_async=wrap_async,
                               secret_reply=bool(dropped))
            for key in dropped:
                reply.pop(key, None)
            foreign = reply.pop(DROPPED, None)
            if foreign:
                result.setdefault("warnings", []).append(
                    "%s: the node returned variables, which were dropped (a node must not set variables): %s. "
                    "Look for an altered Python interpreter or module on the node"
                    % (task_vars.get("inventory_hostname", "?") if task_vars else "?", ", ".join(foreign)))
            result = merge_hash(result, reply)
        finally:
            if not wrap_async:
                self._remove_tmp_path(self._connection._shell.tmpdir)
        return result
