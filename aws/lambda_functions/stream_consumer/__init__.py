"""The stream consumer Lambda: Kinesis events → metrics, anomaly alerts, dead letters, the lake.

``handler.lambda_handler`` is the entry point (Lambda handler string
``stream_consumer.handler.lambda_handler``); see ``README.md`` next to this file.
"""
