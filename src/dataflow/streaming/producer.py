"""``dataflow stream produce``: events of the contract onto the two Kinesis streams.

Events come from the generator (:func:`dataflow.generate.bulk.event_lines`, the batch path's
own events contract) for a small deterministic world, timed in the last minute. Some are made
anomalous (a transaction above the anomaly threshold) and some are replaced by poison records
(not JSON, or not the schema), both chosen by the seed. Transactions go to the transaction
stream, everything else to the customer stream, partition key ``customer_id``. ``PutRecords``
takes up to 500 records per call; only the records it reports as failed are sent again.

The report lists what was put per stream (records, anomalies, poison), so a test or an
operator can predict the consumer's outcome without the consumer's code.
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from dataflow.aws import aws_client
from dataflow.settings import Settings

PUT_RECORDS_LIMIT = 500
MAX_PUT_ATTEMPTS = 8
WORLD_CUSTOMERS = 200
WORLD_PRODUCTS = 60
ANOMALY_MIN_CENTS = 1_000_001  # 10 000.01, just above the anomaly threshold
ANOMALY_MAX_CENTS = 5_000_000
POISON_KINDS = (
    "not_json",
    "not_an_object",
    "missing_event_id",
    "bad_customer_id",
    "unknown_event_type",
    "naive_occurred_at",
)


class PutRecordsFailedError(RuntimeError):
    """Some records were still rejected by Kinesis after every retry."""


@dataclass(frozen=True)
class StreamRecord:
    """One record to put: its stream, partition key, bytes, and what it is."""

    stream: str
    partition_key: str
    data: bytes
    kind: str  # "event", "anomaly" or "poison:<kind>"

    @property
    def is_poison(self) -> bool:
        return self.kind.startswith("poison")


@dataclass
class ProduceReport:
    """What was put, per stream."""

    records: list[StreamRecord] = field(default_factory=list)
    sequence_numbers: list[tuple[str, str]] = field(default_factory=list)  # (shard, seq) each
    put_calls: int = 0
    retried_records: int = 0
    seconds: float = 0.0

    def per_stream(self) -> dict[str, dict[str, int]]:
        totals: dict[str, dict[str, int]] = {}
        for record in self.records:
            entry = totals.setdefault(record.stream, {"records": 0, "anomalies": 0, "poison": 0})
            entry["records"] += 1
            entry["anomalies"] += record.kind == "anomaly"
            entry["poison"] += record.is_poison
        return totals

    def to_dict(self) -> dict:
        return {
            "streams": self.per_stream(),
            "records": len(self.records),
            "put_records_calls": self.put_calls,
            "retried_records": self.retried_records,
            "seconds": round(self.seconds, 3),
        }


# --- building the records ----------------------------------------------------------------
def build_records(
    settings: Settings,
    count: int,
    seed: int = 42,
    anomaly_rate: float = 0.0,
    poison_rate: float = 0.0,
    now: datetime | None = None,
) -> list[StreamRecord]:
    """``count`` records: contract events, with anomalies and poison drawn from ``seed``."""
    now = now or datetime.now(UTC)
    rng = random.Random(f"{seed}/stream")
    records = []
    for line in contract_event_lines(seed, count, now):
        event = json.loads(line)
        roll = rng.random()
        if roll < poison_rate:
            records.append(poison_record(settings, event, rng))
        elif roll < poison_rate + anomaly_rate:
            records.append(to_record(settings, make_anomalous(event, rng), "anomaly"))
        else:
            records.append(to_record(settings, event, "event"))
    return records


def contract_event_lines(seed: int, count: int, now: datetime) -> Iterator[str]:
    """Events of the generator's contract for a small world, timed in the minute before ``now``."""
    from dataflow.generate import bulk
    from dataflow.generate.clock import Clock, epoch_seconds
    from dataflow.generate.story import plant_story
    from dataflow.generate.world import World, build_customers, build_products

    end = epoch_seconds(now)
    history = end - 365 * 86_400
    world_rng = random.Random(f"{seed}/stream-world")
    world = World(
        products=build_products(world_rng, WORLD_PRODUCTS, history, end - 3600),
        customers=build_customers(world_rng, WORLD_CUSTOMERS, history, end - 3600),
    )
    visitors = bulk.CustomerPick(world.customers.cum_weights, len(world.customers.cum_weights))
    clock = Clock(now - timedelta(days=366), now + timedelta(days=1))
    story = plant_story(world, seed, end - 3600, clock)
    rng = random.Random(f"{seed}/stream-events")
    return bulk.event_lines(world, rng, count, (end - 60, end), visitors, clock, story)


def make_anomalous(event: dict, rng: random.Random) -> dict:
    """The event as a transaction whose amount is above the anomaly threshold."""
    cents = rng.randint(ANOMALY_MIN_CENTS, ANOMALY_MAX_CENTS)
    kept = {k: event[k] for k in ("event_id", "customer_id", "occurred_at")}
    return {
        **kept,
        "event_type": "transaction",
        "amount": cents / 100,
        "product_id": event.get("product_id", 1),
    }


def to_record(settings: Settings, event: dict, kind: str) -> StreamRecord:
    stream = settings.stream
    name = (
        stream.transaction_events_stream
        if event["event_type"] == "transaction"
        else stream.customer_events_stream
    )
    data = json.dumps(event, separators=(",", ":")).encode("utf-8")
    return StreamRecord(name, str(event["customer_id"]), data, kind)


def poison_record(settings: Settings, event: dict, rng: random.Random) -> StreamRecord:
    """A record the consumer must dead-letter: not JSON, or JSON that breaks the schema."""
    kind = POISON_KINDS[rng.randrange(len(POISON_KINDS))]
    broken = dict(event)
    if kind == "not_json":
        data = json.dumps(event)[:-7].encode("utf-8")  # truncated mid-document
    elif kind == "not_an_object":
        data = json.dumps([event]).encode("utf-8")
    else:
        if kind == "missing_event_id":
            del broken["event_id"]
        elif kind == "bad_customer_id":
            broken["customer_id"] = f"customer-{event['customer_id']}"
        elif kind == "unknown_event_type":
            broken["event_type"] = "refund_request"
        else:
            broken["occurred_at"] = event["occurred_at"].rstrip("Z")
        data = json.dumps(broken).encode("utf-8")
    stream = rng.choice(settings.stream.streams)
    return StreamRecord(stream, str(event["customer_id"]), data, f"poison:{kind}")


# --- putting them ------------------------------------------------------------------------
def put_records(
    settings: Settings, records: list[StreamRecord], rate: float | None = None, progress=None
) -> ProduceReport:
    """Put ``records`` in order with ``PutRecords`` (at most ``rate`` records/s)."""
    kinesis = aws_client(settings, "kinesis")
    report = ProduceReport()
    started = time.monotonic()
    batch_size = PUT_RECORDS_LIMIT if rate is None else max(1, min(PUT_RECORDS_LIMIT, int(rate)))
    for stream, batch in batches_by_stream(records, batch_size):
        put_batch(kinesis, stream, batch, report)
        if progress is not None:
            progress(len(batch))
        if rate:
            wait = len(report.records) / rate - (time.monotonic() - started)
            if wait > 0:
                time.sleep(wait)
    report.seconds = time.monotonic() - started
    return report


def batches_by_stream(records: list[StreamRecord], size: int):
    """Batches of one stream each, in order within the stream (so per-customer order holds)."""
    pending: dict[str, list[StreamRecord]] = {}
    for record in records:
        batch = pending.setdefault(record.stream, [])
        batch.append(record)
        if len(batch) == size:
            yield record.stream, pending.pop(record.stream)
    for stream, batch in pending.items():
        yield stream, batch


def put_batch(kinesis, stream: str, batch: list[StreamRecord], report: ProduceReport) -> None:
    """One ``PutRecords`` call, then again with only the failed entries (with backoff)."""
    pending = list(batch)
    for attempt in range(MAX_PUT_ATTEMPTS):
        response = kinesis.put_records(
            StreamName=stream,
            Records=[{"Data": r.data, "PartitionKey": r.partition_key} for r in pending],
        )
        report.put_calls += 1
        failed = []
        for record, result in zip(pending, response["Records"], strict=True):
            if "ErrorCode" in result:
                failed.append(record)
            else:
                report.records.append(record)
                report.sequence_numbers.append((result["ShardId"], result["SequenceNumber"]))
        if not failed:
            return
        report.retried_records += len(failed)
        pending = failed
        time.sleep(min(2.0, 0.05 * 2**attempt))
    raise PutRecordsFailedError(
        f"{len(pending)} record(s) to {stream} still failed after {MAX_PUT_ATTEMPTS} attempts"
    )


def produce(
    settings: Settings,
    count: int,
    rate: float | None = None,
    seed: int = 42,
    anomaly_rate: float = 0.0,
    poison_rate: float = 0.0,
    progress: bool = False,
) -> ProduceReport:
    """Build ``count`` records and put them; returns the report."""
    from tqdm import tqdm

    records = build_records(settings, count, seed, anomaly_rate, poison_rate)
    with tqdm(total=len(records), unit="rec", desc="put", disable=not progress) as bar:
        return put_records(settings, records, rate, progress=bar.update)
