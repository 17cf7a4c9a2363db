"""Watching every process's command line while a run goes on, to prove a secret never reaches argv."""

import os
import subprocess
import threading


class ProcessWatch(threading.Thread):
    """Samples every process's command line while a run goes on: ``ps -eo args`` as a user would
    see it, and /proc directly, which is quick enough to catch short kadmin and ktutil runs."""

    def __init__(self):
        super().__init__(daemon=True)
        self.done = threading.Event()
        self.ps_samples = []
        self.cmdlines = set()

    def run(self):
        while not self.done.is_set():
            self.ps_samples.append(subprocess.run(["ps", "-eo", "args"], capture_output=True, text=True,
                                                  check=False).stdout)
            for _sweep in range(20):
                for entry in os.listdir("/proc"):
                    if entry.isdigit():
                        try:
                            with open("/proc/%s/cmdline" % entry, "rb") as handle:
                                line = handle.read().replace(b"\0", b" ").decode("utf-8", "replace")
                        except OSError:
                            continue
                        if line:
                            self.cmdlines.add(line)

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *_exc):
        self.done.set()
        self.join()

    def seen(self, word):
        return [line for line in self.cmdlines if word in line]
