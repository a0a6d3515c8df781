"""The events contract as typed Kinesis records, and the rules that classify an event.

A record's ``kinesis.data`` becomes a :data:`StreamEvent` (one model per ``event_type``) or,
when it is not JSON or not the schema, a :class:`RejectedData` that says why. Validation never
fails the record itself: a poison record must reach the dead-letter queue instead of being
retried forever, so the decision is data, not an exception.
"""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal
from uuid import UUID

from aws_lambda_powertools.utilities.parser.models import (
    KinesisDataStreamRecord,
    KinesisDataStreamRecordPayload,
)
from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    StrictInt,
    TypeAdapter,
    ValidationError,
    field_validator,
    model_validator,
)

from dataflow.contracts import EVENT_TYPES

HIGH_VALUE_AMOUNT = Decimal("1000")  # is_high_value: amount > 1000
ANOMALY_AMOUNT = Decimal("10000")  # an anomaly (alert) when amount > 10000
LOGIN = "login"
# customer_update sub-types: login, and profile updates (the generator's finer-grained kinds)
PROFILE_UPDATE_SUB_TYPES = ("profile_update", "email_change", "segment_change", "address_change")
CustomerId = Annotated[StrictInt, Field(gt=0, lt=2**63)]
Amount = Annotated[Decimal, Field(ge=0, max_digits=14, decimal_places=2)]


class _Event(BaseModel):
    """Fields every event has; type-specific fields are declared by the subclasses."""

    model_config = ConfigDict(extra="allow", frozen=True)

    event_id: UUID
    customer_id: CustomerId
    occurred_at: AwareDatetime

    @field_validator("occurred_at")
    @classmethod
    def _in_utc(cls, value: datetime) -> datetime:
        return value.astimezone(UTC)


class TransactionEvent(_Event):
    event_type: Literal["transaction"]
    amount: Amount
    product_id: CustomerId

    @property
    def is_high_value(self) -> bool:
        return self.amount > HIGH_VALUE_AMOUNT

    @property
    def is_anomaly(self) -> bool:
        return self.amount > ANOMALY_AMOUNT


class CustomerUpdateEvent(_Event):
    event_type: Literal["customer_update"]
    sub_type: Literal["login", "profile_update", "email_change", "segment_change", "address_change"]

    @property
    def kind(self) -> str:
        """``login`` or ``profile_update``."""
        return LOGIN if self.sub_type == LOGIN else "profile_update"


class PageViewEvent(_Event):
    event_type: Literal["page_view"]
    page_url: str


class AddToCartEvent(_Event):
    event_type: Literal["add_to_cart"]
    product_id: CustomerId


StreamEvent = Annotated[
    TransactionEvent | CustomerUpdateEvent | PageViewEvent | AddToCartEvent,
    Field(discriminator="event_type"),
]
_EVENT = TypeAdapter(StreamEvent)
assert set(EVENT_TYPES) == {"transaction", "customer_update", "page_view", "add_to_cart"}


class RejectedData(BaseModel):
    """Data that is not an event of the contract, with the reason (a poison record)."""

    model_config = ConfigDict(frozen=True)

    raw: bytes
    reason: str

    @property
    def text(self) -> str:
        return self.raw.decode("utf-8", errors="replace")


def parse_event(raw: bytes) -> StreamEvent | RejectedData:
    """The event in ``raw`` (JSON of the events contract), or why it is not one."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        return RejectedData(raw=raw, reason=f"not UTF-8: {exc}")
    try:
        document = json.loads(text, parse_float=Decimal)  # amounts stay exact
    except json.JSONDecodeError as exc:
        return RejectedData(raw=raw, reason=f"not JSON: {exc}")
    if not isinstance(document, dict):
        return RejectedData(raw=raw, reason=f"not a JSON object: {type(document).__name__}")
    try:
        return _EVENT.validate_python(document)
    except ValidationError as exc:
        return RejectedData(raw=raw, reason=f"not the events schema: {schema_errors(exc)}")


def schema_errors(exc: ValidationError, limit: int = 3) -> str:
    """The first few validation errors as ``field: message`` (readable in a DLQ message)."""
    parts = [
        f"{'.'.join(str(p) for p in error['loc']) or '<event>'}: {error['msg']}"
        for error in exc.errors(include_url=False)[:limit]
    ]
    return "; ".join(parts)


class EventPayload(KinesisDataStreamRecordPayload):
    """``kinesis`` of a record: ``data`` parsed into the contract, the bytes in ``data_raw``."""

    data: Any  # StreamEvent | RejectedData, set by the validator below
    data_raw: bytes = b""

    @model_validator(mode="before")
    @classmethod
    def _decode_and_parse(cls, values: Any) -> Any:
        if isinstance(values, dict) and "data_raw" not in values:
            raw = base64.b64decode(values.get("data", ""))
            values = {**values, "data_raw": raw, "data": parse_event(raw)}
        return values

    @field_validator("data", mode="before")
    @classmethod
    def data_base64_decode(cls, value):  # replaces the parent's decoding (done above)
        return value

    @property
    def arrived_at(self) -> datetime:
        return datetime.fromtimestamp(self.approximateArrivalTimestamp, UTC)


class EventRecord(KinesisDataStreamRecord):
    """One Kinesis record of the Lambda event, typed."""

    kinesis: EventPayload

    @property
    def stream_name(self) -> str:
        return self.eventSourceARN.rsplit("/", 1)[-1]

    @property
    def shard_id(self) -> str:
        return self.eventID.split(":", 1)[0]

    @property
    def sequence_number(self) -> str:
        return self.kinesis.sequenceNumber
