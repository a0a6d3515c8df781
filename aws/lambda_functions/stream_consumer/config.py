"""The consumer's configuration: Lambda environment variables, read once at cold start.

On AWS they are the function's ``Environment`` in ``aws/cloudformation/streaming.yaml``;
locally ``dataflow stream consume`` resolves the same property against the deployed stack and
sets them before importing the handler.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

IDEMPOTENCY_EXPIRY_SECONDS = 48 * 3600  # > the streams' 24 h retention: any replay is caught


@dataclass(frozen=True)
class ConsumerConfig:
    metrics_table: str
    idempotency_table: str
    dead_letter_queue_url: str
    alerts_topic_arn: str
    lake_bucket: str


class MissingConfigError(RuntimeError):
    """A required environment variable of the function is not set."""


def load_config(environ=None) -> ConsumerConfig:
    """:class:`ConsumerConfig` from the environment; names a missing variable clearly."""
    env = os.environ if environ is None else environ
    names = {
        "metrics_table": "METRICS_TABLE",
        "idempotency_table": "IDEMPOTENCY_TABLE",
        "dead_letter_queue_url": "DEAD_LETTER_QUEUE_URL",
        "alerts_topic_arn": "ALERTS_TOPIC_ARN",
        "lake_bucket": "LAKE_BUCKET",
    }
    missing = [var for var in names.values() if not env.get(var)]
    if missing:
        raise MissingConfigError(
            f"stream consumer: set {', '.join(missing)} (the function's Environment in "
            "aws/cloudformation/streaming.yaml; locally `dataflow stream consume` sets them)"
        )
    return ConsumerConfig(**{field: env[var] for field, var in names.items()})
