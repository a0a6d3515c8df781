"""Where the consumer's results go: DynamoDB metrics, SNS alerts, SQS dead letters, S3 lake files.

Every write here is safe to repeat:
- metrics: each customer item keeps, per (stream, shard), the highest sequence number applied
  (a *watermark*); an update carries the condition ``watermark < this record``, so a record
  already counted is never counted again, even when the process died between the update and
  the idempotency record (records of a shard are applied in sequence order, see
  ``processor.py``). ``last_event_at`` / ``last_login_at`` only ever move forward (a max).
- alerts and dead letters run under Powertools idempotency (``handler.py``); SNS and SQS have
  no conditional writes, so a message is repeated only if the process dies between sending it
  and recording that it was sent.
- lake files are named after the batch's shard and first sequence number: a retried batch
  overwrites its own object.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

from dataflow.contracts import landing_key
from stream_consumer.config import ConsumerConfig
from stream_consumer.events import CustomerUpdateEvent, RejectedData, TransactionEvent

SEQUENCE_WIDTH = 64  # Kinesis sequence numbers are decimal strings of up to ~56 digits
COUNTERS = ("transactions", "total_amount", "high_value_transactions", "anomalies")
MAX_UPDATE_ATTEMPTS = 8
CENTS = Decimal("0.01")
# Fail fast on an unreachable endpoint: the record is retried by the event source mapping.
CLIENT_CONFIG = Config(
    retries={"max_attempts": 3, "mode": "standard"}, connect_timeout=2, read_timeout=10
)


@dataclass(frozen=True)
class Position:
    """Where a record is in its stream."""

    stream: str
    shard_id: str
    sequence_number: str

    def __str__(self) -> str:
        return f"{self.stream}/{self.shard_id}/{self.sequence_number}"

    @property
    def watermark_attribute(self) -> str:
        return f"applied#{self.stream}#{self.shard_id}"

    @property
    def sortable_sequence(self) -> str:
        return self.sequence_number.zfill(SEQUENCE_WIDTH)


def utc_text(moment: datetime) -> str:
    """Fixed-width UTC text, so string order is time order (DynamoDB compares strings)."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class Sinks:
    """The boto3 clients and targets of one consumer (created once per Lambda container)."""

    def __init__(self, config: ConsumerConfig, session=None):
        session = session or boto3.session.Session()
        self.config = config
        self.dynamodb = session.client("dynamodb", config=CLIENT_CONFIG)
        self.sns = session.client("sns", config=CLIENT_CONFIG)
        self.sqs = session.client("sqs", config=CLIENT_CONFIG)
        self.s3 = session.client("s3", config=CLIENT_CONFIG)

    # --- real-time metrics ---------------------------------------------------------------
    def apply_metrics(self, event, position: Position) -> bool:
        """Count ``event`` into its customer's item once; False when it was already counted."""
        moments = event_moments(event)
        for _ in range(MAX_UPDATE_ATTEMPTS):
            try:
                self.dynamodb.update_item(**metrics_update(self.config, event, position, moments))
                return True
            except ClientError as exc:
                if exc.response["Error"]["Code"] != "ConditionalCheckFailedException":
                    raise
                old = exc.response.get("Item") or {}
            if already_applied(old, position):
                return False
            # another record moved a timestamp past this event's: keep theirs, count ours
            moments = {name: t for name, t in moments.items() if newer(t, old.get(name))}
        raise RuntimeError(f"metrics of customer {event.customer_id}: too many concurrent updates")

    # --- alerts, dead letters -------------------------------------------------------------
    def publish_anomaly(self, event: TransactionEvent) -> str:
        """One message on the platform alerts topic; returns the SNS message id."""
        alert = anomaly_alert(event)
        response = self.sns.publish(
            TopicArn=self.config.alerts_topic_arn,
            Subject=f"Transaction anomaly: customer {event.customer_id}",
            Message=json.dumps(alert),
            MessageAttributes={
                "alert_type": {"DataType": "String", "StringValue": alert["alert_type"]},
                "event_id": {"DataType": "String", "StringValue": alert["event_id"]},
            },
        )
        return response["MessageId"]

    def dead_letter(self, rejected: RejectedData, position: Position, meta: dict) -> str:
        """Send a poison record to the dead-letter queue with its reason and position."""
        body = dead_letter_message(rejected, position, meta)
        response = self.sqs.send_message(
            QueueUrl=self.config.dead_letter_queue_url,
            MessageBody=json.dumps(body),
            MessageAttributes={
                "reason": {"DataType": "String", "StringValue": rejected.reason.split(":", 1)[0]},
                "stream": {"DataType": "String", "StringValue": position.stream},
            },
        )
        return response["MessageId"]

    # --- the lake -------------------------------------------------------------------------
    def write_lake_file(self, lines: list[str], first, last) -> str:
        """Write a batch's events as one JSON-lines object; returns its key."""
        key = lake_key(first)
        body = ("\n".join(lines) + "\n").encode("utf-8")
        self.s3.put_object(
            Bucket=self.config.lake_bucket,
            Key=key,
            Body=body,
            ContentType="application/x-ndjson",
            Metadata={
                "first-sequence-number": first.sequence_number,
                "last-sequence-number": last.sequence_number,
                "events": str(len(lines)),
            },
        )
        return key


# --- pure helpers (tested without AWS) -----------------------------------------------------
def event_moments(event) -> dict[str, str]:
    """The timestamps ``event`` may move forward: ``last_event_at`` (+ ``last_login_at``)."""
    at = utc_text(event.occurred_at)
    moments = {"last_event_at": at}
    if isinstance(event, CustomerUpdateEvent) and event.kind == "login":
        moments["last_login_at"] = at
    return moments


def counter_increments(event) -> dict[str, Decimal]:
    """What ``event`` adds to each counter (zeros too, so every item has every counter)."""
    if not isinstance(event, TransactionEvent):
        return dict.fromkeys(COUNTERS, Decimal(0))
    return {
        "transactions": Decimal(1),
        "total_amount": event.amount,
        "high_value_transactions": Decimal(int(event.is_high_value)),
        "anomalies": Decimal(int(event.is_anomaly)),
    }


def metrics_update(config: ConsumerConfig, event, position: Position, moments: dict) -> dict:
    """``UpdateItem`` arguments: add the counters, move the watermark and the timestamps."""
    names = {"#w": position.watermark_attribute}
    values: dict[str, Any] = {":seq": {"S": position.sortable_sequence}}
    adds = []
    for i, (name, amount) in enumerate(counter_increments(event).items()):
        names[f"#c{i}"], values[f":c{i}"] = name, {"N": str(amount)}
        adds.append(f"#c{i} :c{i}")
    sets, conditions = ["#w = :seq"], ["(attribute_not_exists(#w) OR #w < :seq)"]
    for i, (name, moment) in enumerate(moments.items()):
        names[f"#t{i}"], values[f":t{i}"] = name, {"S": moment}
        sets.append(f"#t{i} = :t{i}")
        conditions.append(f"(attribute_not_exists(#t{i}) OR #t{i} < :t{i})")
    return {
        "TableName": config.metrics_table,
        "Key": {"customer_id": {"N": str(event.customer_id)}},
        "UpdateExpression": f"ADD {', '.join(adds)} SET {', '.join(sets)}",
        "ConditionExpression": " AND ".join(conditions),
        "ExpressionAttributeNames": names,
        "ExpressionAttributeValues": values,
        "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
    }


def already_applied(old_item: dict, position: Position) -> bool:
    applied = old_item.get(position.watermark_attribute, {}).get("S")
    return applied is not None and applied >= position.sortable_sequence


def newer(moment: str, old_value: dict | None) -> bool:
    return old_value is None or old_value.get("S", "") < moment


def anomaly_alert(event: TransactionEvent) -> dict:
    """The alert on-call receives for an anomalous transaction."""
    return {
        "alert_type": "transaction_anomaly",
        "anomaly_type": "amount_above_threshold",
        "severity": "critical",
        "customer_id": event.customer_id,
        "transaction_amount": str(event.amount.quantize(CENTS)),
        "event_id": str(event.event_id),
        "occurred_at": utc_text(event.occurred_at),
    }


def dead_letter_message(rejected: RejectedData, position: Position, meta: dict) -> dict:
    """A poison record as the dead-letter queue keeps it: why, where, and the bytes."""
    return {
        "reason": rejected.reason,
        "stream": position.stream,
        "shard_id": position.shard_id,
        "sequence_number": position.sequence_number,
        "data_base64": base64.b64encode(rejected.raw).decode("ascii"),
        "data_text": rejected.text,
        **meta,
    }


def lake_key(first) -> str:
    """``landing/events/<date>/<HH>/<stream>-<shard>-<first sequence number>.jsonl``.

    Named after the batch's first record (its arrival hour, shard and sequence number): a
    retried batch starts at the same record, so it overwrites its file even when this attempt
    got further or less far than the last one (the last sequence number is in the object's
    metadata). A name with the last sequence number would leave the earlier attempt's file, and
    its rows, behind. The hourly DAG loads the hour's folder, the micro-batch the file itself.
    """
    hour = first.kinesis.arrived_at.replace(minute=0, second=0, microsecond=0)
    name = f"{first.stream_name}-{first.shard_id}-{first.sequence_number}"
    return landing_key("events", hour, f"{name}.jsonl")


def lake_line(record) -> str:
    """One JSON line: the event as received plus where it came from (``_stream``)."""
    document = json.loads(record.kinesis.data_raw)
    document["_stream"] = {
        "stream": record.stream_name,
        "shard_id": record.shard_id,
        "sequence_number": record.sequence_number,
        "arrived_at": utc_text(record.kinesis.arrived_at),
    }
    return json.dumps(document, separators=(",", ":"), ensure_ascii=False)
