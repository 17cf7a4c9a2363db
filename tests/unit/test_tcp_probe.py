"""tcp_probe's work: every target tried at once, against real sockets on loopback."""

import socket
import time

import pytest

from ansible_collections.datafabric.crosscluster.plugins.module_utils._errors import CrossclusterError
from ansible_collections.datafabric.crosscluster.plugins.module_utils._tcp_probe import probe


@pytest.fixture
def listening():
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    yield server.getsockname()[1]
    server.close()


def closed_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def test_each_target_comes_back_in_order_with_its_own_keys(listening):
    closed = closed_port()
    found = probe([{"cluster": "b", "host": "127.0.0.1", "port": listening},
                   {"cluster": "c", "host": "127.0.0.1", "port": closed}], timeout=2)
    assert [(p["cluster"], p["port"], p["reachable"]) for p in found] == [("b", listening, True), ("c", closed, False)]
    assert found[0]["error"] is None and found[1]["error"]


def test_silent_targets_are_waited_for_together_not_one_after_another():
    # A listener on loopback that never accepts, its queue filled first: the kernel then drops further
    # connection requests, so each attempt waits for the timeout. Four must take about one, not four.
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(0)
    port = server.getsockname()[1]
    fillers = []
    for _round in range(4):
        filler = socket.socket()
        filler.setblocking(False)
        filler.connect_ex(("127.0.0.1", port))
        fillers.append(filler)
    try:
        started = time.monotonic()
        found = probe([{"host": "127.0.0.1", "port": port, "n": n} for n in range(4)], timeout=1)
        took = time.monotonic() - started
    finally:
        for sock in fillers + [server]:
            sock.close()
    assert [p["n"] for p in found] == [0, 1, 2, 3] and not any(p["reachable"] for p in found)
    assert all("timed out" in p["error"] for p in found)
    assert took < 3


@pytest.mark.parametrize("target", [{"host": "", "port": 7443}, {"host": "n1", "port": 0},
                                    {"host": "n1", "port": "x"}, {"port": 7443}, {"host": "n1", "port": True}])
def test_a_target_without_host_or_valid_port_is_named(target):
    with pytest.raises(CrossclusterError) as err:
        probe([{"host": "n0", "port": 1}, target], timeout=1)
    assert str(err.value).startswith("target 2 (") and "Fix:" in str(err.value)
