"""Streaming: Kinesis events → the consumer Lambda → metrics, alerts, dead letters and the lake.

See ``docs/streaming.md``. The Lambda code itself is in ``aws/lambda_functions/stream_consumer``;
this package holds what runs around it: the producer, the local event source mapping
(``consumer``), the S3 → SQS notification, the micro-batch DAG's tasks and the demo step.
"""
