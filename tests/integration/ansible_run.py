"""Run Ansible from tests the way a user does, and get every task's result back as data.

``run_module`` runs one module ad hoc (``ansible localhost -m ...``); ``run_playbook`` runs a
playbook given as a path, as YAML text, or as Python data (a list of plays); ``start_playbook``
starts one without waiting, for tests that run several at once. Each call gets a private run
directory (ANSIBLE_HOME, local and remote temp, the results file), so nothing lands in
``~/.ansible`` and parallel tests never share state.

Results come from a test-only callback (callback_plugins/record_results.py) that writes every
task result, ``diff`` included, as JSON; the screen output is kept as well, for leak checks.

Secrets never go on a command line (``ps`` shows it to every user):
- ``run_module(..., secrets={"password": pw})`` turns the call into a one-task playbook whose
  argument is ``{{ lookup('env', ...) | from_json }}``; the value travels in the environment.
- ``run_playbook(..., secret_env={"NAME": value})`` sets environment variables that the playbook
  reads with ``lookup('env', 'NAME')``.
- ``run_playbook(..., secret_vars={...})`` writes a 0600 vars file, passes ``-e @file`` and
  deletes the file when the run ends.
"""

import atexit
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
COLLECTIONS = ROOT / ".cache" / "collections"
COLLECTION = "datafabric.crosscluster"
BIN = Path(sys.executable).parent
CALLBACK_DIR = Path(__file__).resolve().parent / "callback_plugins"
RESULTS_ENV = "DATAFABRIC_TEST_RESULTS"
SECRET_ENV_PREFIX = "DATAFABRIC_TEST_SECRET_"
# Interpreter discovery finds a broken pyenv shim on some machines; modules need only Python 3.
PYTHON = "/usr/bin/python3"
DEFAULT_TIMEOUT = 300

_COLLECTION_LINK = COLLECTIONS / "ansible_collections" / "datafabric" / "crosscluster"


def fqcn(module):
    """``clusters_conf_entry`` -> ``datafabric.crosscluster.clusters_conf_entry``; FQCNs pass through."""
    return module if "." in module else "%s.%s" % (COLLECTION, module)


def env_lookup(name, json_value=False):
    """The Jinja expression that reads environment variable ``name`` inside a task."""
    return "{{ lookup('env', '%s')%s }}" % (name, " | from_json" if json_value else "")


def _ensure_collection_link():
    # tests/conftest.py makes this link too; doing it here keeps the helper usable on its own.
    if not _COLLECTION_LINK.is_symlink():
        _COLLECTION_LINK.parent.mkdir(parents=True, exist_ok=True)
        try:
            _COLLECTION_LINK.symlink_to(ROOT)
        except FileExistsError:
            pass


class Result:
    """What one ansible / ansible-playbook run did."""

    def __init__(self, rc, stdout, stderr, results, argv, run_dir):
        self.rc = rc
        self.stdout = stdout
        self.stderr = stderr
        self.results = results  # one dict per task result: status, host, task, action, result
        self.argv = argv
        self.run_dir = run_dir

    @property
    def output(self):
        return self.stdout + self.stderr

    @property
    def result(self):
        """The last task result (the only one for ``run_module``); {} when nothing ran."""
        return self.results[-1]["result"] if self.results else {}

    def task(self, name):
        """The result of the task called ``name`` (the last one when it ran more than once)."""
        found = [r["result"] for r in self.results if r["task"] == name]
        if not found:
            raise KeyError("no task %r ran; tasks: %s" % (name, [r["task"] for r in self.results]))
        return found[-1]

    @property
    def changed(self):
        return bool(self.result.get("changed"))

    @property
    def failed(self):
        return bool(self.result.get("failed"))

    @property
    def msg(self):
        return str(self.result.get("msg", ""))

    def files_containing(self, needle):
        """Files left in this run's directory (home, temps, results) whose bytes contain ``needle``."""
        if isinstance(needle, str):
            needle = needle.encode("utf-8")
        hits = []
        for path in Path(self.run_dir).rglob("*"):
            if path.is_file() and not path.is_symlink() and needle in path.read_bytes():
                hits.append(str(path))
        return hits

    def __repr__(self):
        return "Result(rc=%r, tasks=%r)" % (self.rc, [(r["task"], r["status"]) for r in self.results])

    def expect_ok(self):
        """Assert the run succeeded (tasks with ignore_errors may still have failed); returns self."""
        assert self.rc == 0, self.describe()
        return self

    def expect_failed(self):
        """Assert the run failed in a task (not in Ansible itself); returns self."""
        assert self.rc != 0 and self.results and self.results[-1]["status"] == "failed", self.describe()
        return self

    def describe(self):
        """Everything about the run, for assertion messages."""
        return "argv: %s\nrc: %s\nresults: %s\n--- stdout\n%s\n--- stderr\n%s" % (
            " ".join(self.argv), self.rc, json.dumps(self.results, indent=2), self.stdout, self.stderr)


class Running:
    """A started ansible-playbook; ``wait()`` returns its Result."""

    def __init__(self, proc, argv, run_dir, results_file, cleanup):
        self.proc = proc
        self.argv = argv
        self.run_dir = run_dir
        self.results_file = results_file
        self.cleanup = cleanup

    def wait(self, timeout=DEFAULT_TIMEOUT):
        try:
            stdout, stderr = self.proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            stdout, stderr = self.proc.communicate()
            stderr += "\n[ansible_run] killed after %s seconds" % timeout
        finally:
            for path in self.cleanup:
                _unlink(path)
        return Result(self.proc.returncode, stdout, stderr, _read_results(self.results_file), self.argv,
                      self.run_dir)


def _unlink(path):
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass


def _read_results(path):
    if not os.path.exists(path):
        return []
    with open(path, encoding="utf-8") as handle:
        records = [json.loads(line) for line in handle if line.strip()]
    for record in records:
        # Callbacks of 2.19 may see a failed result without its ``failed`` key (ignore_errors).
        if record["status"] in ("failed", "ignored"):
            record["result"].setdefault("failed", True)
    return records


_SESSION_DIRS = []


def _session_dir():
    path = tempfile.mkdtemp(prefix="ansible-run-")
    _SESSION_DIRS.append(path)
    return path


@atexit.register
def _remove_session_dirs():
    for path in _SESSION_DIRS:
        shutil.rmtree(path, ignore_errors=True)


def _new_run_dir(tmp_dir):
    base = Path(tmp_dir) if tmp_dir is not None else Path(_session_dir())
    base.mkdir(parents=True, exist_ok=True)
    return Path(tempfile.mkdtemp(prefix="ansible-run-", dir=str(base)))


def _empty_config(run_dir):
    path = Path(run_dir) / "ansible.cfg"
    if not path.exists():
        path.write_text("[defaults]\n", encoding="utf-8")
    return path


def ansible_env(run_dir, env=None):
    """The environment for one run: isolated from the caller's Ansible settings and home."""
    run_dir = Path(run_dir)
    base = dict((k, v) for k, v in os.environ.items() if not k.startswith("ANSIBLE_"))
    base.update(
        PATH="%s%s%s" % (BIN, os.pathsep, os.environ.get("PATH", "")),
        ANSIBLE_COLLECTIONS_PATH=str(COLLECTIONS),
        ANSIBLE_HOME=str(run_dir / "home"),
        ANSIBLE_LOCAL_TEMP=str(run_dir / "local-tmp"),
        ANSIBLE_REMOTE_TEMP=str(run_dir / "remote-tmp"),
        ANSIBLE_NOCOLOR="1",
        ANSIBLE_FORCE_COLOR="0",
        ANSIBLE_DEPRECATION_WARNINGS="0",
        ANSIBLE_RETRY_FILES_ENABLED="0",
        ANSIBLE_CALLBACK_PLUGINS=str(CALLBACK_DIR),
        ANSIBLE_CALLBACKS_ENABLED="record_results",
        ANSIBLE_LOAD_CALLBACK_PLUGINS="1",
        # A stray ansible.cfg (cwd, home) must not change what a test runs; callers may pass their own.
        ANSIBLE_CONFIG=str(_empty_config(run_dir)),
        # As the README requires: the collection's secret-carrying tasks refuse to run without it.
        ANSIBLE_PIPELINING="1",
    )
    base[RESULTS_ENV] = str(run_dir / "results.jsonl")
    base.update(env or {})
    return base


def _common_args(check, diff, verbosity, inventory, connection, extra_vars, extra_args):
    args = ["-i", inventory or "localhost,"]
    if connection:
        args += ["-c", connection]
    args += ["-e", "ansible_python_interpreter=%s" % PYTHON]
    if extra_vars:
        # Only for values that are not secret: argv is visible to every user.
        args += ["-e", json.dumps(extra_vars)]
    if check:
        args.append("--check")
    if diff:
        args.append("--diff")
    if verbosity:
        args.append("-" + "v" * verbosity)
    return args + list(extra_args or ())


def _write_private(path, text):
    fd = os.open(str(path), os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)


def _start(argv, run_dir, env, cwd, cleanup):
    _ensure_collection_link()
    full_env = ansible_env(run_dir, env)
    proc = subprocess.Popen(argv, cwd=str(cwd or run_dir), env=full_env, stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    return Running(proc, argv, str(run_dir), full_env[RESULTS_ENV], cleanup)


def run_module(module, args=None, check=False, diff=False, verbosity=0, env=None, secrets=None,
               tmp_dir=None, inventory=None, connection="local", hosts="all", timeout=DEFAULT_TIMEOUT):
    """Run one module on localhost and return its Result (``.result`` is the module's result).

    ``args`` is a dict of module arguments. ``secrets`` is a dict of further arguments whose
    values must not appear on a command line: the call then runs as a one-task playbook that
    reads each of them from the environment.
    """
    if secrets:
        task_args = dict(args or {})
        secret_env = {}
        for number, (name, value) in enumerate(sorted(secrets.items())):
            var = "%s%d" % (SECRET_ENV_PREFIX, number)
            secret_env[var] = json.dumps(value)
            task_args[name] = env_lookup(var, json_value=True)
        play = dict(hosts=hosts, gather_facts=False, tasks=[{"name": module, fqcn(module): task_args}])
        return run_playbook([play], check=check, diff=diff, verbosity=verbosity, env=env,
                            secret_env=secret_env, tmp_dir=tmp_dir, inventory=inventory,
                            connection=connection, timeout=timeout)
    run_dir = _new_run_dir(tmp_dir)
    argv = [str(BIN / "ansible"), hosts, "-m", fqcn(module), "-a", json.dumps(args or {})]
    argv += _common_args(check, diff, verbosity, inventory, connection, None, None)
    return _start(argv, run_dir, env, None, []).wait(timeout)


def _playbook_path(playbook, run_dir):
    if isinstance(playbook, Path):
        return playbook
    if isinstance(playbook, (list, tuple)):
        path = run_dir / "playbook.yml"
        path.write_text(json.dumps(list(playbook), indent=2), encoding="utf-8")  # JSON is YAML
        return path
    if "\n" in playbook or not os.path.exists(playbook):
        path = run_dir / "playbook.yml"
        path.write_text(playbook, encoding="utf-8")
        return path
    return Path(playbook)


def start_playbook(playbook, check=False, diff=False, verbosity=0, env=None, extra_vars=None,
                   secret_env=None, secret_vars=None, tmp_dir=None, inventory=None, connection="local",
                   extra_args=None, cwd=None):
    """Start ansible-playbook without waiting; see ``run_playbook`` for the arguments."""
    run_dir = _new_run_dir(tmp_dir)
    path = _playbook_path(playbook, run_dir)
    argv = [str(BIN / "ansible-playbook"), str(path)]
    cleanup = []
    if secret_vars:
        vars_file = run_dir / "secret-vars.json"
        _write_private(vars_file, json.dumps(secret_vars))
        cleanup.append(str(vars_file))
        argv += ["-e", "@%s" % vars_file]
    argv += _common_args(check, diff, verbosity, inventory, connection, extra_vars, extra_args)
    full_env = dict(env or {})
    full_env.update(secret_env or {})
    try:
        return _start(argv, run_dir, full_env, cwd, cleanup)
    except BaseException:
        for item in cleanup:
            _unlink(item)
        raise


def run_playbook(playbook, check=False, diff=False, verbosity=0, env=None, extra_vars=None,
                 secret_env=None, secret_vars=None, tmp_dir=None, inventory=None, connection="local",
                 extra_args=None, cwd=None, timeout=DEFAULT_TIMEOUT):
    """Run a playbook and return its Result (``.results`` holds every task result in order).

    ``playbook`` is a path, YAML text, or a list of plays as Python data. ``extra_vars`` go on
    the command line (never secrets); ``secret_env`` sets environment variables the playbook
    reads with ``lookup('env', NAME)``; ``secret_vars`` travel in a 0600 ``-e @file`` that is
    deleted when the run ends. ``inventory`` defaults to ``localhost,`` with ``connection``
    local; pass ``connection=None`` to let the inventory decide.
    """
    return start_playbook(playbook, check=check, diff=diff, verbosity=verbosity, env=env,
                          extra_vars=extra_vars, secret_env=secret_env, secret_vars=secret_vars,
                          tmp_dir=tmp_dir, inventory=inventory, connection=connection,
                          extra_args=extra_args, cwd=cwd).wait(timeout)


def deprecation_warnings(output):
    """Each ``[DEPRECATION WARNING]`` Ansible printed, on one line: 2.16 wraps them at 80 columns.

    A warning runs to the next ``[`` (the next warning, or the ``ok: [host]`` after it); none of the
    collection's own messages holds one.
    """
    text = " ".join(output.split())
    return ["[DEPRECATION WARNING]: " + part.split(" [", 1)[0] for part in text.split("[DEPRECATION WARNING]: ")[1:]]


def assert_arguments_censored(output):
    """At -vvvv ansible-core up to 2.19 logs each module's arguments, a no_log one masked: the output of
    a leak test must show the mask, or the test proved nothing. 2.20 and later no longer log them."""
    from ansible.release import __version__

    if tuple(int(part) for part in __version__.split(".")[:2]) < (2, 20):
        assert "VALUE_SPECIFIED_IN_NO_LOG_PARAMETER" in output
    else:
        assert '"invocation"' not in output


def run_ansible_doc(*args, env=None, tmp_dir=None, timeout=DEFAULT_TIMEOUT):
    """Run ansible-doc with the same isolated environment; returns a Result without task results."""
    run_dir = _new_run_dir(tmp_dir)
    argv = [str(BIN / "ansible-doc")] + list(args)
    return _start(argv, run_dir, env, None, []).wait(timeout)


def file_task(module, title, path, **args):
    """A task of a file module on ``path``; failures are kept (ignore_errors) for the test to inspect."""
    args["path"] = str(path)
    return {"name": title, fqcn(module): args, "ignore_errors": True}


def play(*tasks):
    """One play over every host of the inventory, without fact gathering."""
    return [{"hosts": "all", "gather_facts": False, "tasks": list(tasks)}]
