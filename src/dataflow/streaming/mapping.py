"""The event source mappings of the consumer, as ``streaming.yaml`` declares them.

On AWS, Lambda's event source mapping polls the shards with these settings. Locally the same
resources (not deployed: see the template's ``DeployConsumerFunction`` condition) configure
:mod:`dataflow.streaming.consumer`, so both follow one definition.
"""

from __future__ import annotations

from dataclasses import dataclass

from dataflow.settings import Settings

MAPPING_TYPE = "AWS::Lambda::EventSourceMapping"


@dataclass(frozen=True)
class MappingConfig:
    """One event source mapping: which stream, how batches are built, retried and discarded."""

    stream_name: str
    stream_arn: str
    starting_position: str
    batch_size: int
    batching_window_seconds: float
    bisect_on_function_error: bool
    maximum_retry_attempts: int  # -1: until the records expire
    maximum_record_age_seconds: int  # -1: never discard by age
    report_batch_item_failures: bool
    on_failure_arn: str | None

    def retries_exhausted(self, attempts: int) -> bool:
        return 0 <= self.maximum_retry_attempts < attempts


def mapping_configs(settings: Settings) -> list[MappingConfig]:
    """Every event source mapping of the streaming stack, properties resolved."""
    from dataflow.streaming.function import streaming_stack

    stack, resolver = streaming_stack(settings)
    configs = []
    for resource in stack.template.resources.values():
        if resource["Type"] != MAPPING_TYPE:
            continue
        props = resource["Properties"]
        arn = resolver.resolve(props["EventSourceArn"])
        on_failure = props.get("DestinationConfig", {}).get("OnFailure", {}).get("Destination")
        configs.append(
            MappingConfig(
                stream_name=arn.rsplit("/", 1)[-1],
                stream_arn=arn,
                starting_position=props.get("StartingPosition", "TRIM_HORIZON"),
                batch_size=int(props.get("BatchSize", 100)),
                batching_window_seconds=float(props.get("MaximumBatchingWindowInSeconds", 0)),
                bisect_on_function_error=bool(props.get("BisectBatchOnFunctionError", False)),
                maximum_retry_attempts=int(props.get("MaximumRetryAttempts", -1)),
                maximum_record_age_seconds=int(props.get("MaximumRecordAgeInSeconds", -1)),
                report_batch_item_failures="ReportBatchItemFailures"
                in props.get("FunctionResponseTypes", []),
                on_failure_arn=resolver.resolve(on_failure) if on_failure else None,
            )
        )
    return configs
