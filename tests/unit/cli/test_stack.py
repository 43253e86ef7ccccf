"""Ports for the embedded stack's servers: outside the range the kernel gives outgoing connections."""

from __future__ import annotations

import random
import socket

from newsflow_cli.stack import _ephemeral_ports, free_port


def test_a_picked_port_is_below_the_ephemeral_range_and_bindable():
    ephemeral = range(32768, 61000)
    ports = {free_port(random.Random(seed), ephemeral) for seed in range(20)}
    assert all(20000 <= port < ephemeral.start for port in ports)
    assert len(ports) > 1, "picked at random, so that two stacks rarely try the same port"


class Scripted(random.Random):
    """Offers the given ports in turn."""

    def __init__(self, *ports: int) -> None:
        super().__init__()
        self.ports = list(ports)

    def randrange(self, *_: int) -> int:  # type: ignore[override]
        return self.ports.pop(0)


def test_a_port_something_listens_on_is_passed_over():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            free = probe.getsockname()[1]
        assert free_port(Scripted(port, free), range(65000, 65536)) == free


def test_without_a_readable_range_the_kernel_picks(tmp_path):
    assert _ephemeral_ports(tmp_path / "missing") is None
    (tmp_path / "range").write_text("32768\t60999\n")
    assert _ephemeral_ports(tmp_path / "range") == range(32768, 61000)
    assert 0 < free_port(ephemeral=None) < 65536
