"""Where the streaming path's resources are: names from settings, URLs and ARNs derived from them.

Everything here is pure (no AWS call), so DAG files can use it at parse time.
"""

from __future__ import annotations

from dataflow.settings import Settings

STACK_STEM = "streaming"
EVENTS_LAKE_PREFIX = "landing/events/"


def stream_parameters(settings: Settings) -> dict[str, str]:
    """The ``streaming.yaml`` parameters the platform sets (see ``infra.platform_parameters``)."""
    stream = settings.stream
    return {
        "CustomerEventsStreamName": stream.customer_events_stream,
        "TransactionEventsStreamName": stream.transaction_events_stream,
        "StreamShardCount": str(stream.shard_count),
        "RealTimeMetricsTableName": stream.metrics_table,
        "IdempotencyTableName": stream.idempotency_table,
        "StreamCheckpointTableName": stream.checkpoint_table,
        "DeadLetterQueueName": stream.dead_letter_queue,
        "FailedBatchQueueName": stream.failed_batch_queue,
        "LandingEventsQueueName": stream.landing_events_queue,
        "AlertsReadbackQueueName": stream.alerts_readback_queue,
    }


def queue_url(settings: Settings, name: str) -> str:
    """The URL of queue ``name`` without asking SQS (the endpoint's layout, or AWS's)."""
    if settings.aws_endpoint_url:
        return f"{settings.aws_endpoint_url.rstrip('/')}/{settings.aws_account_id}/{name}"
    return f"https://sqs.{settings.aws_region}.amazonaws.com/{settings.aws_account_id}/{name}"


def alerts_topic_arn(settings: Settings) -> str:
    """The alerts topic's ARN, derived from its name as the templates do."""
    return (
        f"arn:aws:sns:{settings.aws_region}:{settings.aws_account_id}:{settings.alerts_topic_name}"
    )
