"""Kinesis → real-time metrics, anomaly alerts, dead letters and the lake (Powertools).

``lambda_handler`` is the function's entry point; ``record_handler`` handles one typed record
and raises on any failure that is worth retrying (AWS unreachable, throttled): the record then
appears in ``batchItemFailures`` and the event source mapping retries the shard from it.
A record that is not an event of the contract is not retried: it goes to the dead-letter queue.
Replays (a retried batch, a re-read shard, a restarted consumer) are absorbed by Powertools
idempotency (keyed on ``event_id``; dead letters on the record's position) and by the metrics
watermark, so nothing is counted, alerted or dead-lettered twice.
"""

from __future__ import annotations

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import EventType, process_partial_response
from aws_lambda_powertools.utilities.idempotency import (
    DynamoDBPersistenceLayer,
    IdempotencyConfig,
    idempotent_function,
)
from aws_lambda_powertools.utilities.typing import LambdaContext

from stream_consumer.config import IDEMPOTENCY_EXPIRY_SECONDS, load_config
from stream_consumer.events import EventRecord, RejectedData, TransactionEvent
from stream_consumer.processor import ShardOrderBatchProcessor
from stream_consumer.sinks import Position, Sinks, lake_line

CONFIG = load_config()
SINKS = Sinks(CONFIG)
logger = Logger()
metrics = Metrics()
# One persistence layer per idempotent function: Powertools configures it for that function.
event_persistence = DynamoDBPersistenceLayer(table_name=CONFIG.idempotency_table)
dead_letter_persistence = DynamoDBPersistenceLayer(table_name=CONFIG.idempotency_table)
event_idempotency = IdempotencyConfig(
    event_key_jmespath="event_id",
    expires_after_seconds=IDEMPOTENCY_EXPIRY_SECONDS,
    use_local_cache=True,
    local_cache_max_items=4096,
)
dead_letter_idempotency = IdempotencyConfig(
    event_key_jmespath="record_id",
    expires_after_seconds=IDEMPOTENCY_EXPIRY_SECONDS,
    use_local_cache=True,
)


def write_lake_file(processed: list[tuple[EventRecord, dict]]) -> None:
    """The batch's processed events (the prefix the mapping checkpoints) as one lake file.

    An event whose idempotency record names another position is a duplicate the producer sent
    again (same event_id, another record): it is already in the lake, from that record.
    """
    events = [
        record
        for record, outcome in processed
        if not isinstance(record.kinesis.data, RejectedData)
        and outcome.get("position") == str(position_of(record))
    ]
    if events:
        first, last = processed[0][0], events[-1]
        key = SINKS.write_lake_file([lake_line(r) for r in events], first, last)
        logger.info("lake file written", extra={"key": key, "events": len(events)})


processor = ShardOrderBatchProcessor(
    event_type=EventType.KinesisDataStreams,
    model=EventRecord,
    raise_on_entire_batch_failure=False,
    on_success_prefix=write_lake_file,
)


def position_of(record: EventRecord) -> Position:
    return Position(record.stream_name, record.shard_id, record.sequence_number)


@idempotent_function(
    data_keyword_argument="event", persistence_store=event_persistence, config=event_idempotency
)
def apply_event(event, position: Position) -> dict:
    """Count the event into real-time metrics and alert on an anomaly — once per event_id."""
    counted = SINKS.apply_metrics(event, position)
    outcome = {
        "event_id": str(event.event_id),
        "position": str(position),
        "counted": counted,
        "alert": None,
    }
    if isinstance(event, TransactionEvent):
        if event.is_high_value:
            metrics.add_metric(name="HighValueTransactions", unit=MetricUnit.Count, value=1)
        if event.is_anomaly:
            outcome["alert"] = SINKS.publish_anomaly(event)
            metrics.add_metric(name="AnomaliesDetected", unit=MetricUnit.Count, value=1)
            logger.warning("anomaly alerted", extra={"amount": str(event.amount)})
    return outcome


@idempotent_function(
    data_keyword_argument="poison",
    persistence_store=dead_letter_persistence,
    config=dead_letter_idempotency,
)
def dead_letter(poison: dict, record: EventRecord) -> dict:
    """Send a poison record to the dead-letter queue — once per stream position."""
    rejected = record.kinesis.data
    meta = {
        "partition_key": record.kinesis.partitionKey,
        "approximate_arrival_timestamp": record.kinesis.approximateArrivalTimestamp,
        "event_source_arn": record.eventSourceARN,
    }
    message_id = SINKS.dead_letter(rejected, position_of(record), meta)
    metrics.add_metric(name="RecordsDeadLettered", unit=MetricUnit.Count, value=1)
    logger.warning("record dead-lettered", extra={"reason": rejected.reason})
    return {"dead_letter_message_id": message_id}


def record_handler(record: EventRecord) -> dict:
    """Handle one record; raises when it should be retried."""
    position = position_of(record)
    logger.append_keys(
        stream=position.stream, shard_id=position.shard_id, sequence_number=position.sequence_number
    )
    data = record.kinesis.data
    try:
        if isinstance(data, RejectedData):
            outcome = dead_letter(poison={"record_id": str(position)}, record=record)
        else:
            logger.set_correlation_id(str(data.event_id))
            outcome = apply_event(event=data, position=position)
    except Exception:
        metrics.add_metric(name="ProcessingErrors", unit=MetricUnit.Count, value=1)
        raise
    metrics.add_metric(name="RecordsProcessed", unit=MetricUnit.Count, value=1)
    return outcome


@metrics.log_metrics
@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    event_idempotency.register_lambda_context(context)
    dead_letter_idempotency.register_lambda_context(context)
    return process_partial_response(
        event=event, record_handler=record_handler, processor=processor, context=context
    )
