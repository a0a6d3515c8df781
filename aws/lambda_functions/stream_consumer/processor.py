"""Batch processing in shard order: the first failure ends the batch.

Lambda resumes a Kinesis shard at the lowest sequence number in ``batchItemFailures``, so the
records after a failed one come again anyway. Processing them now would apply a shard's records
out of order (the metrics watermark in ``sinks.py`` relies on order) and put their rows in this
batch's lake file *and* the retried batch's. So after the first failure the remaining records
are reported as failed without being processed, and the records before it — exactly what the
mapping checkpoints — are handed to ``on_success_prefix`` (the lake file) when the batch ends,
as ``(record, record_handler result)`` pairs.
"""

from __future__ import annotations

from collections.abc import Callable

from aws_lambda_powertools.utilities.batch import BatchProcessor


class RecordSkippedAfterFailure(Exception):
    """Not processed: an earlier record of the batch failed, and the shard resumes there."""


class ShardOrderBatchProcessor(BatchProcessor):
    """``BatchProcessor`` that stops at the first failed record of the batch."""

    def __init__(self, *args, on_success_prefix: Callable[[list], None], **kwargs):
        super().__init__(*args, **kwargs)
        self.on_success_prefix = on_success_prefix
        self.succeeded: list = []
        self._failed = False

    def _prepare(self):
        super()._prepare()
        self.succeeded = []
        self._failed = False

    def _process_record(self, record: dict):
        if self._failed:
            return self._skip(record)
        outcome = super()._process_record(record)
        if outcome[0] == "fail":
            self._failed = True
        else:
            typed = self._to_batch_type(record, self.event_type, self.model)
            self.succeeded.append((typed, outcome[1]))
        return outcome

    def _skip(self, record: dict):
        skipped = RecordSkippedAfterFailure("an earlier record of this batch failed")
        data = self._to_batch_type(record=record, event_type=self.event_type)
        return self.failure_handler(record=data, exception=(type(skipped), skipped, None))

    def _clean(self):
        if self.succeeded:
            self.on_success_prefix(self.succeeded)
        super()._clean()
