"""Shared by the monitoring tests: an SQS queue subscribed to the platform alerts topic."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager


@contextmanager
def alerts_topic_queue(settings, prefix: str) -> Iterator[Callable[[], list[str]]]:
    """A fresh queue subscribed (raw delivery) to the alerts topic; yields ``receive()``, which
    returns the message bodies that arrived since its last call. Removed on exit."""
    from dataflow.aws import aws_client
    from dataflow.monitoring.notify import alerts_topic_arn

    sqs, sns = aws_client(settings, "sqs"), aws_client(settings, "sns")
    url = sqs.create_queue(QueueName=f"{prefix}-{uuid.uuid4().hex[:8]}")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]
    sub = sns.subscribe(
        TopicArn=alerts_topic_arn(settings),
        Protocol="sqs",
        Endpoint=arn["QueueArn"],
        Attributes={"RawMessageDelivery": "true"},
        ReturnSubscriptionArn=True,
    )["SubscriptionArn"]

    def receive() -> list[str]:
        bodies = []
        while batch := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages"):
            for m in batch:
                bodies.append(m["Body"])
                sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
        return bodies

    try:
        yield receive
    finally:
        sns.unsubscribe(SubscriptionArn=sub)
        sqs.delete_queue(QueueUrl=url)
