"""Shard leases in the DynamoDB checkpoint table: one live owner, dead owners taken over."""

from __future__ import annotations

import socket
import subprocess
import uuid

import pytest

pytestmark = pytest.mark.integration


@pytest.fixture
def shard():
    return f"shardId-test-{uuid.uuid4().hex[:8]}"


def store(settings, owner=None):
    from dataflow.streaming.checkpoints import CheckpointStore

    return CheckpointStore(settings, owner)


def test_a_shard_held_by_a_live_consumer_is_not_taken(settings, shard):
    first, second = store(settings), store(settings)

    assert first.take("s", shard) is not None
    assert second.take("s", shard) is None


def test_a_released_shard_is_taken_with_its_checkpoint(settings, shard):
    from datetime import UTC, datetime

    first, second = store(settings), store(settings)
    lease = first.take("s", shard)
    first.checkpoint(
        lease, {"SequenceNumber": "41", "ApproximateArrivalTimestamp": datetime.now(UTC)}, 3
    )
    first.release(lease)

    taken = second.take("s", shard)

    assert taken is not None and taken.checkpoint == "41"


def test_a_dead_local_owner_is_taken_over_and_cannot_checkpoint_any_more(settings, shard):
    from datetime import UTC, datetime

    from dataflow.streaming.checkpoints import LeaseLostError

    finished = subprocess.Popen(["true"])
    finished.wait()
    dead = store(settings, f"{socket.gethostname()}:{finished.pid}:dead")
    lease = dead.take("s", shard)

    taken = store(settings).take("s", shard)

    assert taken is not None
    with pytest.raises(LeaseLostError):
        dead.checkpoint(
            lease, {"SequenceNumber": "7", "ApproximateArrivalTimestamp": datetime.now(UTC)}, 1
        )
