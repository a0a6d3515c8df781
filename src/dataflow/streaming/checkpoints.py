"""Shard leases and checkpoints in DynamoDB, as the KCL keeps them.

One item per (stream, shard) in the checkpoint table (``settings.stream.checkpoint_table``),
keyed ``lease_key = "<stream>/<shard id>"``. A consumer owns a shard while its lease is valid;
every checkpoint is a conditional write on ``owner``, so a consumer that lost its lease can never
move a checkpoint. The item is also the consumer's state for monitoring, readable by anyone:

=============================  ===========================================================
``checkpoint``                 last sequence number processed (absent: nothing yet)
``checkpoint_arrival_epoch``   arrival time (epoch s) of that record
``checkpointed_at_epoch``      when the checkpoint was written
``millis_behind_latest``       from the shard's last GetRecords: how far the consumer lags
``records_processed_total``    records checkpointed by any consumer (a counter)
``batch_attempts``             consecutive failed attempts of the current batch
``failed_invocations_total``   invocations that raised or reported failures
``batches_discarded_total``    batches sent to the on-failure destination (records skipped)
``owner`` / ``lease_expires_epoch``  who processes the shard, until when
``last_error``                 the last invocation error, if any
=============================  ===========================================================
"""

from __future__ import annotations

import os
import socket
import time
import uuid
from dataclasses import dataclass

from dataflow.aws import aws_client
from dataflow.settings import Settings

LEASE_SECONDS = 60.0  # renewed every LEASE_SECONDS / 4 (a dead local owner is taken over at once)


class LeaseLostError(RuntimeError):
    """Another consumer owns the shard now; this one must stop processing it."""


def new_owner_id() -> str:
    """``<host>:<pid>:<random>`` — the host and pid let a restart detect a dead owner."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def owner_is_dead(owner: str) -> bool:
    """True when ``owner`` ran on this host and its process is gone."""
    host, _, rest = owner.partition(":")
    pid = rest.partition(":")[0]
    if host != socket.gethostname() or not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


@dataclass
class Lease:
    """The state of one shard as this consumer holds it."""

    stream: str
    shard_id: str
    checkpoint: str | None

    @property
    def key(self) -> str:
        return lease_key(self.stream, self.shard_id)


def lease_key(stream: str, shard_id: str) -> str:
    return f"{stream}/{shard_id}"


class CheckpointStore:
    """Leases and checkpoints of one consumer (``owner``) in the checkpoint table."""

    def __init__(self, settings: Settings, owner: str | None = None):
        self.table = settings.stream.checkpoint_table
        self.owner = owner or new_owner_id()
        self.dynamodb = aws_client(settings, "dynamodb")

    def take(self, stream: str, shard_id: str) -> Lease | None:
        """Take (or renew) the shard's lease; None when a live consumer holds it."""
        from botocore.exceptions import ClientError

        key = lease_key(stream, shard_id)
        current = self._get(key)
        holder = current.get("owner", {}).get("S")
        expired = float(current.get("lease_expires_epoch", {}).get("N", "0")) < time.time()
        if holder and holder != self.owner and not expired and not owner_is_dead(holder):
            return None
        condition, values = "attribute_not_exists(#owner)", {}
        if holder:
            condition, values = "#owner = :previous", {":previous": {"S": holder}}
        try:
            self.dynamodb.update_item(
                TableName=self.table,
                Key={"lease_key": {"S": key}},
                UpdateExpression="SET #owner = :me, lease_expires_epoch = :until, "
                "stream_name = :stream, shard_id = :shard",
                ConditionExpression=condition,
                ExpressionAttributeNames={"#owner": "owner"},
                ExpressionAttributeValues={
                    **values,
                    **self._lease_values(),
                    ":stream": {"S": stream},
                    ":shard": {"S": shard_id},
                },
            )
        except ClientError as exc:
            if exc.response["Error"]["Code"] == "ConditionalCheckFailedException":
                return None  # someone else took it between our read and write
            raise
        return Lease(stream, shard_id, current.get("checkpoint", {}).get("S"))

    def renew(self, lease: Lease) -> None:
        self._owned_update(lease, "SET lease_expires_epoch = :until", {})

    def checkpoint(self, lease: Lease, last, processed: int) -> None:
        """Move the checkpoint to record ``last`` (a Kinesis record dict) after ``processed``."""
        self._owned_update(
            lease,
            "SET checkpoint = :seq, checkpoint_arrival_epoch = :arrival, "
            "checkpointed_at_epoch = :now, batch_attempts = :zero, lease_expires_epoch = :until "
            "ADD records_processed_total :n",
            {
                ":seq": {"S": last["SequenceNumber"]},
                ":arrival": {"N": str(last["ApproximateArrivalTimestamp"].timestamp())},
                ":now": {"N": str(time.time())},
                ":zero": {"N": "0"},
                ":n": {"N": str(processed)},
            },
        )
        lease.checkpoint = last["SequenceNumber"]

    def record_failure(self, lease: Lease, attempts: int, error: str) -> None:
        self._owned_update(
            lease,
            "SET batch_attempts = :a, last_error = :e, lease_expires_epoch = :until "
            "ADD failed_invocations_total :one",
            {":a": {"N": str(attempts)}, ":e": {"S": error[:1000] or "-"}, ":one": {"N": "1"}},
        )

    def record_discarded(self, lease: Lease) -> None:
        self._owned_update(lease, "ADD batches_discarded_total :one", {":one": {"N": "1"}})

    def record_lag(self, lease: Lease, millis_behind_latest: int) -> None:
        self._owned_update(
            lease, "SET millis_behind_latest = :m", {":m": {"N": str(millis_behind_latest)}}
        )

    def release(self, lease: Lease) -> None:
        """Give the shard up (clean shutdown): another consumer may take it at once."""
        self._owned_update(lease, "REMOVE #owner, lease_expires_epoch", {})

    # --- internals -------------------------------------------------------------------------
    def _get(self, key: str) -> dict:
        response = self.dynamodb.get_item(
            TableName=self.table, Key={"lease_key": {"S": key}}, ConsistentRead=True
        )
        return response.get("Item", {})

    def _lease_values(self) -> dict:
        return {":me": {"S": self.owner}, ":until": {"N": str(time.time() + LEASE_SECONDS)}}

    def _owned_update(self, lease: Lease, expression: str, values: dict) -> None:
        """An update of the shard's item that only succeeds while this consumer owns it."""
        from botocore.exceptions import ClientError

        lease_values = self._lease_values()
        if ":until" not in expression:  # DynamoDB rejects unused expression values
            del lease_values[":until"]
        try:
            self.dynamodb.update_item(
                TableName=self.table,
                Key={"lease_key": {"S": lease.key}},
                UpdateExpression=expression,
                ConditionExpression="#owner = :me",
                ExpressionAttributeNames={"#owner": "owner"},
                ExpressionAttributeValues={**values, **lease_values},
            )
        except ClientError as exc:
            if exc.response["Error"]["Code"] == "ConditionalCheckFailedException":
                raise LeaseLostError(
                    f"lease of {lease.key} is now held by another consumer"
                ) from exc
            raise


def read_checkpoints(settings: Settings) -> list[dict]:
    """Every shard's item of the checkpoint table, as plain values (for status and monitoring)."""
    dynamodb = aws_client(settings, "dynamodb")
    items = []
    for page in dynamodb.get_paginator("scan").paginate(TableName=settings.stream.checkpoint_table):
        items.extend(page["Items"])
    return sorted((_plain(item) for item in items), key=lambda i: i["lease_key"])


def _plain(item: dict) -> dict:
    values = {}
    for name, typed in item.items():
        ((kind, value),) = typed.items()
        values[name] = float(value) if kind == "N" else value
    return values
