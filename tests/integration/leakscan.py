"""Searching everywhere a run could leave a secret, and recording what was searched.

Places: the run's screen output (-vvvv, or the run's verbosity), ANSIBLE_LOG_PATH, the command lines
sampled while it ran (procwatch), and every file under the given directories (the run's home, local
and remote temps, the nodes' /tmp). Each secret is searched for whole; a hit names the secret by label, never by value.
"""

import os

from reliability import record


def _files(directories):
    for directory in directories:
        for root, _dirs, names in os.walk(directory):
            for name in names:
                path = os.path.join(root, name)
                if os.path.isfile(path) and not os.path.islink(path):
                    yield path


def _verbosity(result):
    # The screen output is named by the run's verbosity, so the report says what was searched.
    flags = [arg for arg in getattr(result, "argv", ()) if arg[:2] == "-v" and set(arg[1:]) == {"v"}]
    return flags[-1] if flags else "default verbosity"


def scan(name, secrets, result, watch, directories, log_path=None, record_it=True):
    """Leaks as (label, place); records the scan for docs/reliability.md (unless a self-test)."""
    secrets = dict((label, value) for label, value in secrets.items() if value)
    assert secrets, "a scan with nothing to look for proves nothing"
    places = {"%s output" % _verbosity(result): result.output}
    if log_path:
        with open(log_path, encoding="utf-8", errors="replace") as handle:
            places["ANSIBLE_LOG_PATH"] = handle.read()
        assert places["ANSIBLE_LOG_PATH"], "the log was not written; the scan would prove nothing"
    assert watch.cmdlines, "no command line was sampled"
    places["process argv"] = "\n".join(watch.cmdlines) + "\n".join(watch.ps_samples)
    leaks = []
    for label, value in sorted(secrets.items()):
        leaks += [(label, place) for place, text in places.items() if value in text]
    paths = list(_files(directories))
    for path in paths:
        with open(path, "rb") as handle:
            data = handle.read()
        leaks += [(label, path) for label, value in sorted(secrets.items()) if value.encode() in data]
    searched = sorted(places) + ["%d files under %d temp and run directories" % (len(paths), len(directories))]
    if record_it:
        record("secret_scan", name, searched=searched, secrets=len(secrets), leaks=len(leaks))
    return leaks
