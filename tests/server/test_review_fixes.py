"""Review findings on the engineer's tools: a busy port, duplicate Authorization headers."""

from __future__ import annotations

import socket

import pytest

from sim.domain.errors import InputError


def test_busy_port_is_bad_input_before_any_database_is_made(tmp_path):
    from loadtest.server.serving import _bind
    taken = socket.socket()
    taken.bind(("127.0.0.1", 0))
    taken.listen()
    port = taken.getsockname()[1]
    try:
        with pytest.raises(InputError, match="cannot listen"):
            _bind("127.0.0.1", port)
    finally:
        taken.close()


def test_two_authorization_headers_take_the_apps_path():
    from loadtest.server.fastpath import FastWrites

    class Tokens:
        def platform_of(self, token: str) -> str:
            return "12345"

    fast = FastWrites.__new__(FastWrites)
    fast.state = type("S", (), {"tokens": Tokens()})()
    one = {"headers": [(b"authorization", b"Bearer dev-12345")]}
    two = {"headers": [(b"authorization", b"Bearer dev-110"),
                       (b"authorization", b"Bearer dev-12345")]}
    assert fast._platform(one) == "12345"
    assert fast._platform(two) is None
