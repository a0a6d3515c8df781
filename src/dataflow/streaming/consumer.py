"""``dataflow stream consume``: Lambda's Kinesis event source mapping, run locally.

Polls every shard of the mapped streams on the AWS endpoint, builds Lambda's Kinesis event
(base64 data, sequence numbers, ``approximateArrivalTimestamp``, ``eventSourceARN``, ...),
invokes the consumer handler in this process (:mod:`dataflow.streaming.function`) and does what
the mapping does with the answer (settings from the template, :mod:`dataflow.streaming.mapping`):
- ``batchItemFailures``: checkpoint the records before the lowest failed sequence number and
  retry from it; a function error retries the whole batch, halved when
  ``BisectBatchOnFunctionError``;
- after ``MaximumRetryAttempts`` failed attempts of the same record, or for records older than
  ``MaximumRecordAgeInSeconds``, send the batch's metadata to the ``OnFailure`` SQS destination
  (Lambda's message format) and move past it;
- checkpoint durably in the DynamoDB lease table (:mod:`dataflow.streaming.checkpoints`) only
  after the handler succeeded, so a consumer killed at any point and restarted resumes at the
  first record not yet checkpointed. Whatever it processes again is absorbed by the handler's
  idempotency; its lake file for a batch starting at the same record is overwritten.

Sequence numbers are compared only for equality, and iterators are re-read from the checkpoint
whenever they fail, so neither moto's small integers nor its never-expiring iterators matter.
Shards are processed one invocation at a time (Lambda runs one per shard concurrently).
"""

from __future__ import annotations

import base64
import json
import logging
import signal
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime

from dataflow.aws import aws_client
from dataflow.settings import Settings
from dataflow.streaming.checkpoints import CheckpointStore, Lease, LeaseLostError
from dataflow.streaming.function import LocalFunction
from dataflow.streaming.mapping import MappingConfig

log = logging.getLogger(__name__)

MAX_BACKOFF_SECONDS = 5.0
IDLE_POLL_SECONDS = 1.0  # Lambda polls an idle shard about once per second
LAG_REPORT_SECONDS = 5.0
SHARD_DISCOVERY_SECONDS = 30.0
LEASE_RENEWAL_SECONDS = 15.0  # a quarter of checkpoints.LEASE_SECONDS


@dataclass
class ShardState:
    """One shard as this consumer processes it."""

    mapping: MappingConfig
    lease: Lease
    iterator: str | None = None
    buffer: list[dict] = field(default_factory=list)  # read, not yet checkpointed
    attempts: int = 0  # failed attempts of the batch at the head of the buffer
    batch_limit: int = 0  # 0: the mapping's BatchSize (halved by bisection)
    retry_at: float = 0.0
    caught_up: bool = False
    closed: bool = False
    buffered_since: float | None = None
    lag_reported_at: float = 0.0

    @property
    def idle(self) -> bool:
        return not self.buffer and (self.caught_up or self.closed)


@dataclass
class ConsumeReport:
    """What a ``consume`` run did (printed as JSON by the CLI)."""

    records_checkpointed: dict[str, int] = field(default_factory=dict)
    invocations: int = 0
    failed_invocations: int = 0
    batches_discarded: int = 0
    records_discarded: int = 0
    seconds: float = 0.0

    @property
    def records(self) -> int:
        return sum(self.records_checkpointed.values())

    def to_dict(self) -> dict:
        rate = self.records / self.seconds if self.seconds else 0.0
        return {
            "records_checkpointed": self.records_checkpointed,
            "records": self.records,
            "invocations": self.invocations,
            "failed_invocations": self.failed_invocations,
            "batches_discarded": self.batches_discarded,
            "records_discarded": self.records_discarded,
            "seconds": round(self.seconds, 3),
            "records_per_second": round(rate, 1),
        }


class LocalEventSourceMapping:
    """Polls the mapped streams' shards and feeds batches to the function."""

    def __init__(
        self,
        settings: Settings,
        function: LocalFunction,
        mappings: list[MappingConfig],
        store: CheckpointStore | None = None,
        on_progress=None,
    ):
        self.settings = settings
        self.function = function
        self.mappings = mappings
        self.store = store or CheckpointStore(settings)
        self.kinesis = aws_client(settings, "kinesis")
        self.sqs = aws_client(settings, "sqs")
        self.shards: dict[str, ShardState] = {}
        self.report = ConsumeReport()
        self.on_progress = on_progress or (lambda n: None)
        self.stop_requested = threading.Event()
        self._discovered_at = 0.0
        self._renewed_at = time.monotonic()

    # --- the loop ------------------------------------------------------------------------
    def run(self, follow: bool = False, max_seconds: float | None = None) -> ConsumeReport:
        """Process until every shard is drained (or, with ``follow``, until stopped)."""
        started = time.monotonic()
        try:
            while not self.stop_requested.is_set():
                if time.monotonic() - self._discovered_at > SHARD_DISCOVERY_SECONDS:
                    self.discover_shards()
                elif time.monotonic() - self._renewed_at > LEASE_RENEWAL_SECONDS:
                    self.renew_leases()
                worked = any([self.step(state) for state in list(self.shards.values())])
                if not follow and all(s.idle for s in self.shards.values()):
                    break  # drained (or every shard is leased by another live consumer)
                if max_seconds is not None and time.monotonic() - started > max_seconds:
                    break
                if not worked:
                    self.stop_requested.wait(self._idle_wait())
        finally:
            self.release_leases()
            self.report.seconds = time.monotonic() - started
        return self.report

    def _idle_wait(self) -> float:
        waits = [max(0.0, s.retry_at - time.monotonic()) for s in self.shards.values() if s.buffer]
        return min([IDLE_POLL_SECONDS, *waits])

    def install_signal_handlers(self) -> None:
        """SIGTERM/SIGINT finish the current invocation, release the leases and return."""
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda *_: self.stop_requested.set())

    def discover_shards(self) -> None:
        """Take the lease of every shard not yet held (a held shard of a live consumer is left)."""
        self._discovered_at = time.monotonic()
        self.renew_leases()
        for mapping in self.mappings:
            pages = self.kinesis.get_paginator("list_shards").paginate(
                StreamName=mapping.stream_name
            )
            for shard in (s for page in pages for s in page["Shards"]):
                key = f"{mapping.stream_name}/{shard['ShardId']}"
                if key in self.shards:
                    continue
                lease = self.store.take(mapping.stream_name, shard["ShardId"])
                if lease is not None:
                    self.shards[key] = ShardState(mapping, lease, batch_limit=mapping.batch_size)

    def renew_leases(self) -> None:
        """Keep every held lease valid; a lease lost to another consumer drops its shard."""
        self._renewed_at = time.monotonic()
        for key, state in list(self.shards.items()):
            try:
                self.store.renew(state.lease)
            except LeaseLostError:
                log.warning("lost the lease of %s; leaving the shard", key)
                del self.shards[key]

    def release_leases(self) -> None:
        for state in self.shards.values():
            try:
                self.store.release(state.lease)
            except LeaseLostError:
                pass

    # --- one shard -----------------------------------------------------------------------
    def step(self, state: ShardState) -> bool:
        """Read and/or invoke once for ``state``; True when something was done."""
        now = time.monotonic()
        if state.retry_at > now:
            return False
        read = self.read(state) if len(state.buffer) < state.mapping.batch_size else 0
        if not state.buffer:
            return read > 0
        window = state.mapping.batching_window_seconds
        full = len(state.buffer) >= state.mapping.batch_size
        waited = state.buffered_since is not None and now - state.buffered_since >= window
        if not (full or waited or state.caught_up or state.closed):
            return read > 0
        try:
            self.deliver(state)
        except LeaseLostError:
            log.warning("lost the lease of %s; leaving the shard", state.lease.key)
            del self.shards[state.lease.key]
        return True

    def read(self, state: ShardState) -> int:
        """One ``GetRecords`` call into the buffer; returns how many records came."""
        from botocore.exceptions import ClientError

        if state.closed:
            return 0
        if state.iterator is None:
            state.iterator = self.shard_iterator(state)
        try:
            response = self.kinesis.get_records(
                ShardIterator=state.iterator, Limit=state.mapping.batch_size
            )
        except ClientError as exc:
            if exc.response["Error"]["Code"] in (
                "ExpiredIteratorException",
                "ProvisionedThroughputExceededException",
            ):
                state.iterator = None
                return 0
            raise
        records = response["Records"]
        state.iterator = response.get("NextShardIterator")
        state.closed = state.iterator is None
        behind = int(response.get("MillisBehindLatest", 0))
        # a short page at the tip: an empty page alone is not enough (Kinesis has gaps)
        state.caught_up = len(records) < state.mapping.batch_size and behind == 0
        if records:
            if not state.buffer:
                state.buffered_since = time.monotonic()
            state.buffer.extend(records)
        self.report_lag(state, behind)
        return len(records)

    def shard_iterator(self, state: ShardState) -> str:
        """From the checkpoint, else from the mapping's starting position."""
        request = {"StreamName": state.mapping.stream_name, "ShardId": state.lease.shard_id}
        after = state.buffer[-1]["SequenceNumber"] if state.buffer else state.lease.checkpoint
        if after:
            request |= {
                "ShardIteratorType": "AFTER_SEQUENCE_NUMBER",
                "StartingSequenceNumber": after,
            }
        else:
            request["ShardIteratorType"] = state.mapping.starting_position
        return self.kinesis.get_shard_iterator(**request)["ShardIterator"]

    def report_lag(self, state: ShardState, behind: int) -> None:
        if time.monotonic() - state.lag_reported_at >= LAG_REPORT_SECONDS:
            self.store.record_lag(state.lease, behind)
            state.lag_reported_at = time.monotonic()

    # --- delivering a batch --------------------------------------------------------------
    def deliver(self, state: ShardState) -> None:
        """Invoke the function with the batch at the head of the buffer and act on the answer."""
        self.discard_expired(state)
        if not state.buffer:
            return
        batch = state.buffer[: state.batch_limit or state.mapping.batch_size]
        invocation = self.function.invoke(self.lambda_event(state, batch))
        self.report.invocations += 1
        failed_at = first_failure(batch, invocation)
        if failed_at > 0:
            self.checkpoint(state, batch[:failed_at])
        if failed_at == len(batch):
            state.batch_limit = state.mapping.batch_size
            return
        self.retry_later(state, batch[failed_at:], failed_at, invocation.error)

    def retry_later(self, state: ShardState, failed: list[dict], progressed: int, error):
        self.report.failed_invocations += 1
        state.attempts = 1 if progressed else state.attempts + 1
        reason = error or f"batchItemFailures from {failed[0]['SequenceNumber']}"
        self.store.record_failure(state.lease, state.attempts, reason)
        if error and state.mapping.bisect_on_function_error and len(failed) > 1:
            state.batch_limit = max(1, len(failed) // 2)
        if state.mapping.retries_exhausted(state.attempts):
            self.send_to_on_failure(state, failed, "RetryAttemptsExhausted", state.attempts)
            self.checkpoint(state, failed, processed=False)
            state.batch_limit = state.mapping.batch_size
            return
        state.retry_at = time.monotonic() + min(MAX_BACKOFF_SECONDS, 0.1 * 2**state.attempts)
        log.info("%s: attempt %d failed (%s); retrying", state.lease.key, state.attempts, reason)

    def discard_expired(self, state: ShardState) -> None:
        """Records older than ``MaximumRecordAgeInSeconds`` go to the on-failure destination."""
        limit = state.mapping.maximum_record_age_seconds
        if limit < 0:
            return
        oldest_allowed = datetime.now(UTC).timestamp() - limit
        expired = 0
        while expired < len(state.buffer) and (
            state.buffer[expired]["ApproximateArrivalTimestamp"].timestamp() < oldest_allowed
        ):
            expired += 1
        if expired:
            batch = state.buffer[:expired]
            self.send_to_on_failure(state, batch, "RecordAgeExceeded", 0)
            self.checkpoint(state, batch, processed=False)

    def checkpoint(self, state: ShardState, records: list[dict], processed: bool = True):
        self.store.checkpoint(state.lease, records[-1], len(records) if processed else 0)
        del state.buffer[: len(records)]
        state.attempts = 0
        state.retry_at = 0.0
        state.buffered_since = time.monotonic() if state.buffer else None
        if processed:
            stream = state.mapping.stream_name
            self.report.records_checkpointed[stream] = self.report.records_checkpointed.get(
                stream, 0
            ) + len(records)
            self.on_progress(len(records))
        else:
            self.report.batches_discarded += 1
            self.report.records_discarded += len(records)

    def send_to_on_failure(self, state: ShardState, records, condition: str, attempts: int):
        """Lambda's on-failure record for a Kinesis batch (metadata only, not the data)."""
        arn = state.mapping.on_failure_arn
        self.store.record_discarded(state.lease)
        if arn is None:
            log.error("%s: discarding %d records (%s)", state.lease.key, len(records), condition)
            return
        url = self.sqs.get_queue_url(QueueName=arn.rsplit(":", 1)[-1])["QueueUrl"]
        message = on_failure_message(self.function, state, records, condition, attempts)
        self.sqs.send_message(QueueUrl=url, MessageBody=json.dumps(message))

    def lambda_event(self, state: ShardState, batch: list[dict]) -> dict:
        return {"Records": [self.lambda_record(state, r) for r in batch]}

    def lambda_record(self, state: ShardState, record: dict) -> dict:
        """One record exactly as Lambda's Kinesis event carries it."""
        return {
            "kinesis": {
                "kinesisSchemaVersion": "1.0",
                "partitionKey": record["PartitionKey"],
                "sequenceNumber": record["SequenceNumber"],
                "data": base64.b64encode(record["Data"]).decode("ascii"),
                "approximateArrivalTimestamp": record["ApproximateArrivalTimestamp"].timestamp(),
            },
            "eventSource": "aws:kinesis",
            "eventVersion": "1.0",
            "eventID": f"{state.lease.shard_id}:{record['SequenceNumber']}",
            "eventName": "aws:kinesis:record",
            "invokeIdentityArn": self.function.definition.role_arn,
            "awsRegion": self.settings.aws_region,
            "eventSourceARN": state.mapping.stream_arn,
        }


def first_failure(batch: list[dict], invocation) -> int:
    """Index of the first record to retry: 0 on a function error, ``len(batch)`` on success.

    Like Lambda, an identifier that is not a sequence number of the batch fails it whole.
    """
    if invocation.error is not None or invocation.response is None:
        return 0
    failures = invocation.response.get("batchItemFailures") or []
    if not failures:
        return len(batch)
    failed = {f.get("itemIdentifier") for f in failures}
    for index, record in enumerate(batch):
        if record["SequenceNumber"] in failed:
            return index
    return 0


def on_failure_message(function: LocalFunction, state: ShardState, records, condition, attempts):
    """The document Lambda sends to a Kinesis mapping's on-failure destination."""

    def arrival(record):
        return record["ApproximateArrivalTimestamp"].astimezone(UTC).isoformat()

    return {
        "requestContext": {
            "requestId": str(uuid.uuid4()),
            "functionArn": function.arn,
            "condition": condition,
            "approximateInvokeCount": attempts,
        },
        "responseContext": {
            "statusCode": 200,
            "executedVersion": "$LATEST",
            "functionError": "Unhandled" if attempts else None,
        },
        "version": "1.0",
        "timestamp": datetime.now(UTC).isoformat(),
        "KinesisBatchInfo": {
            "shardId": state.lease.shard_id,
            "startSequenceNumber": records[0]["SequenceNumber"],
            "endSequenceNumber": records[-1]["SequenceNumber"],
            "approximateArrivalOfFirstRecord": arrival(records[0]),
            "approximateArrivalOfLastRecord": arrival(records[-1]),
            "batchSize": len(records),
            "streamArn": state.mapping.stream_arn,
        },
    }
