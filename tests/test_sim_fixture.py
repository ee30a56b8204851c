"""The simulated-plug fixture never mistakes another process's listener for its plug.

free_port() picks a port nobody listens on *now*; under pytest-xdist another worker can bind it
before the sim does. The sim then exits, but a bare connect still succeeds, on the other
listener: the test would talk to someone else's plug (or to nothing that answers).
"""

from __future__ import annotations

import json
import socket
import urllib.request
from collections.abc import Callable

import pytest

from . import conftest
from .conftest import SimPlug


def test_a_port_taken_before_the_sim_binds_it_is_not_mistaken_for_the_sim(
    sim_factory: Callable[..., SimPlug], monkeypatch: pytest.MonkeyPatch
) -> None:
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", 0))
        squatter.listen()
        taken = int(squatter.getsockname()[1])
        picks = iter([taken, taken])  # the first start gets the squatter's port for both
        real = conftest.free_port
        monkeypatch.setattr(conftest, "free_port", lambda: next(picks, None) or real())
        sim = sim_factory("racesim")
        assert taken not in (sim.http_port, sim.control_port)
        url = f"http://127.0.0.1:{sim.http_port}/api/v1/info"
        with urllib.request.urlopen(url, timeout=5) as resp:
            assert json.load(resp)["id"] == "racesim"
        assert sim.proc.poll() is None
