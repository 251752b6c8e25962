"""Who counts as this machine: loopback in every form a server reports it, and nothing else."""

import pytest

from views._auth import is_loopback


@pytest.mark.parametrize("address", [None, "127.0.0.1", "::1", "::ffff:127.0.0.1", "127.0.0.2"])
def test_loopback_addresses_are_this_machine(address):
    assert is_loopback(address)


@pytest.mark.parametrize("address", ["192.0.2.2", "10.0.0.5", "::ffff:10.0.0.5", "fd00::2", "not an address"])
def test_other_addresses_are_other_machines(address):
    assert not is_loopback(address)
