# Copyright: datafabric.crosscluster contributors
# Apache License 2.0 (see LICENSE)
"""Test-only callback: every task result, diff included, as one JSON object per line.

The stdout callbacks drop ``diff`` below -vvv and print results in a shape meant for people;
tests need the whole result as data, for ad-hoc commands and playbooks alike. Results arrive
here already censored by Ansible (``no_log``), so recording them leaks nothing the screen
would not show.
"""

import json
import os

from ansible.plugins.callback import CallbackBase

DOCUMENTATION = r"""
name: record_results
type: aggregate
short_description: Append every task result as a JSON line to the file named by DATAFABRIC_TEST_RESULTS
description:
  - Used by tests/integration/ansible_run.py; not part of the collection.
requirements:
  - enabled with ANSIBLE_CALLBACKS_ENABLED=record_results (and ANSIBLE_LOAD_CALLBACK_PLUGINS=1 for ad-hoc)
"""

RESULTS_ENV = "DATAFABRIC_TEST_RESULTS"


def _plain(value):
    """Ansible's tagged and lazy containers as plain JSON types (a str subclass is a str)."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set)):
        return [_plain(v) for v in value]
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value)
    if isinstance(value, str):
        return str(value)
    return str(value)


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "record_results"
    CALLBACK_NEEDS_ENABLED = True

    def _record(self, status, result):
        path = os.environ.get(RESULTS_ENV)
        if not path:
            return
        # 2.19 names them result/host/task; older releases only have the underscored ones.
        data = getattr(result, "result", None)
        if data is None:
            data = result._result
        host = getattr(result, "host", None) or result._host
        task = getattr(result, "task", None) or result._task
        record = dict(
            status=status,
            host=host.get_name(),
            task=task.get_name(),
            action=task.action,
            result=_plain(dict(data)),
        )
        with open(path, "a", encoding="utf-8") as handle:
            handle.write(json.dumps(record, sort_keys=True) + "\n")

    def v2_runner_on_ok(self, result):
        self._record("ok", result)

    def v2_runner_on_failed(self, result, ignore_errors=False):
        # Ignored failures (preflight gathers that way and reports them in its gate) are not the run's.
        self._record("ignored" if ignore_errors else "failed", result)

    def v2_runner_on_skipped(self, result):
        self._record("skipped", result)

    def v2_runner_on_unreachable(self, result):
        self._record("unreachable", result)
