# -*- coding: utf-8 -*-
# Copyright: datafabric.crosscluster contributors
# Apache License 2.0 (see LICENSE)
"""Whether TCP ports answer, all of them at once: a node tries every peer CLDB in one module call.

A mesh node has many peer CLDBs to try; one connection attempt each, in parallel threads, so the
whole probe takes at most one timeout, not one per target.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import socket
import threading

from ansible_collections.datafabric.crosscluster.plugins.module_utils._errors import CrossclusterError


def _attempt(host, port, timeout):
    """None when a connection to ``host:port`` opens within ``timeout`` seconds, else why not."""
    try:
        connection = socket.create_connection((host, int(port)), timeout=timeout)
    except (OSError, ValueError) as err:
        return str(err) or type(err).__name__
    connection.close()
    return None


def check_targets(targets):
    """Refuse a target without a host name or with a port that is not 1-65535, naming it."""
    for number, target in enumerate(targets, 1):
        host, port = target.get("host"), target.get("port")
        try:
            port_ok = not isinstance(port, bool) and 0 < int(port) < 65536
        except (TypeError, ValueError):
            port_ok = False
        if not isinstance(host, str) or not host.strip() or not port_ok:
            raise CrossclusterError("target %d (host %r, port %r) needs a host name and a TCP port 1-65535"
                                    % (number, host, port), fix="give each target a host and a port")


def probe(targets, timeout):
    """Each target (a dict with ``host`` and ``port``, other keys kept) with ``reachable`` and ``error``."""
    check_targets(targets)
    results = [None] * len(targets)

    def run(index, target):
        error = _attempt(target["host"], target["port"], timeout)
        results[index] = dict(target, reachable=error is None, error=error)

    threads = [threading.Thread(target=run, args=(n, t)) for n, t in enumerate(targets)]
    for thread in threads:
        thread.daemon = True
        thread.start()
    for thread in threads:
        thread.join()
    return results
