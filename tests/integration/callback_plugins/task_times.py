# Copyright: datafabric.crosscluster contributors
# Apache License 2.0 (see LICENSE)
"""Bench-only callback: when each task started, as JSON lines, so tests/bench.py can say where a run's time went.

With the linear strategy a task ends when the next one starts, so the start times are enough.
"""

import json
import os
import time

from ansible.plugins.callback import CallbackBase

DOCUMENTATION = r"""
name: task_times
type: aggregate
short_description: Append each task's start time as a JSON line to the file named by DATAFABRIC_TASK_TIMES
description:
  - Used by tests/bench.py; not part of the collection.
requirements:
  - enabled with ANSIBLE_CALLBACKS_ENABLED=task_times
"""

TIMES_ENV = "DATAFABRIC_TASK_TIMES"


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "task_times"
    CALLBACK_NEEDS_ENABLED = True

    def _write(self, **record):
        path = os.environ.get(TIMES_ENV)
        if path:
            record["time"] = time.time()
            with open(path, "a", encoding="utf-8") as handle:
                handle.write(json.dumps(record, sort_keys=True) + "\n")

    def v2_playbook_on_task_start(self, task, is_conditional):
        role = getattr(task, "_role", None)
        self._write(event="task", task=task.get_name(), role=role.get_name() if role else None)

    def v2_playbook_on_handler_task_start(self, task):
        self.v2_playbook_on_task_start(task, False)

    def v2_playbook_on_stats(self, stats):
        self._write(event="end")
