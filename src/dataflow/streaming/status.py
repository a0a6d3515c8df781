"""``dataflow stream status``: the consumer's state as monitoring reads it.

Everything here is readable from outside the consumer process: the checkpoint table (one item
per shard, see :mod:`dataflow.streaming.checkpoints`) and the depths of the dead-letter,
on-failure, landing-events and alerts read-back queues.
"""

from __future__ import annotations

from dataflow.aws import aws_client
from dataflow.settings import Settings
from dataflow.streaming.checkpoints import read_checkpoints


def queue_depths(settings: Settings) -> dict[str, dict[str, int]]:
    """Visible and in-flight messages of the streaming path's queues."""
    sqs = aws_client(settings, "sqs")
    stream = settings.stream
    depths = {}
    for queue in (
        stream.dead_letter_queue,
        stream.failed_batch_queue,
        stream.landing_events_queue,
        stream.alerts_readback_queue,
    ):
        url = sqs.get_queue_url(QueueName=queue)["QueueUrl"]
        attributes = sqs.get_queue_attributes(
            QueueUrl=url,
            AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
        )["Attributes"]
        depths[queue] = {
            "visible": int(attributes["ApproximateNumberOfMessages"]),
            "in_flight": int(attributes["ApproximateNumberOfMessagesNotVisible"]),
        }
    return depths


def stream_status(settings: Settings) -> dict:
    """Checkpoints per shard and queue depths."""
    return {"shards": read_checkpoints(settings), "queues": queue_depths(settings)}
