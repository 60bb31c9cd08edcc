"""SIGTERM and SIGHUP to the real console in a pseudo-terminal: the terminal comes back as the
shell had it, and the DLQ messages it was browsing are visible again at once (as with ctrl+q),
not after their lease runs out."""

from __future__ import annotations

import signal

import pytest

from edgewatch.simulator.moto_server import FAKE_CREDENTIALS
from tests.support.env import clean_env
from tests.support.sqs import depth, fill
from tests.support.terminal import PtyConsole, terminal_restored
from tests.support.waiting import wait_until

BROWSED = 3


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGHUP], ids=["SIGTERM", "SIGHUP"])
def test_quit_signal_restores_the_terminal_and_gives_browsed_messages_back(
    sig, moto_server, boto3_sqs, pair, tmp_path
):
    fill(boto3_sqs, pair.dlq_url, ({"MessageBody": f'{{"n": {i}}}'} for i in range(BROWSED)))
    config = tmp_path / "config.toml"
    config.write_text(
        'queues = ["orders"]\npoll_interval = 0.5\n[aws]\n'
        f'endpoint_url = "{moto_server.endpoint_url}"\nregion = "us-east-1"\n'
    )
    env = clean_env(tmp_path) | {
        "AWS_ACCESS_KEY_ID": FAKE_CREDENTIALS[0],
        "AWS_SECRET_ACCESS_KEY": FAKE_CREDENTIALS[1],
        "AWS_CONFIG_FILE": "/dev/null",
        "AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
    }
    console = PtyConsole.spawn(["--config", str(config)], env, tmp_path)
    try:
        assert console.read_until(b"orders-dlq", 60), bytes(console.out[-2000:])
        console.write(b"d")  # the highlighted queue's DLQ: browsing leases its messages
        wait_until(lambda: depth(boto3_sqs, pair.dlq_url) == (0, BROWSED), 30, "browsed")
        console.proc.send_signal(sig)
        console.drain(15)
        assert console.proc.poll() == 128 + sig
    finally:
        console.close()
    out = bytes(console.out)
    assert terminal_restored(out) == []
    assert b"Traceback" not in out
    # given back at once, not at the end of the lease (60 s by default)
    wait_until(lambda: depth(boto3_sqs, pair.dlq_url) == (BROWSED, 0), 10, "given back")
