"""The consumer Lambda, run in this process as Lambda would run it.

moto runs Lambda code only in Docker, which this machine does not have, so the local event
source mapping (:mod:`dataflow.streaming.consumer`) invokes ``stream_consumer.handler`` here:
- its configuration is the function's ``Environment`` and ``Timeout`` in
  ``aws/cloudformation/streaming.yaml``, resolved against the deployed stack (as CloudFormation
  would), so local and AWS read the same definition;
- each invocation gets a Lambda context with a deadline, and what the function prints is
  captured as the Lambda runtime captures it: Powertools' EMF metric lines are sent to
  CloudWatch (``put_metric_data``, what CloudWatch does with EMF in the function's logs), the
  rest goes to the function's log file in ``<DATAFLOW_HOME>/run/stream-consumer.log``.
"""

from __future__ import annotations

import contextlib
import importlib
import io
import json
import os
import sys
import time
import uuid
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from dataflow.settings import Settings
from dataflow.streaming.names import STACK_STEM

FUNCTION_LOGICAL_ID = "ConsumerFunction"
HANDLER_MODULE = "stream_consumer.handler"
FUNCTION_DIR = Path("aws") / "lambda_functions"


class FunctionError(RuntimeError):
    """The handler raised (Lambda's "function error"): the whole batch is retried."""


def streaming_stack(settings: Settings):
    """The ``streaming`` stack and a resolver of its template against what is deployed."""
    from dataflow.infra.emulate import Resolver
    from dataflow.infra.stacks import platform_stacks, stack_parameters, stack_resources

    stack = next(s for s in platform_stacks(settings) if s.stem == STACK_STEM)
    created = stack_resources(settings, stack)
    physical = {logical: r["PhysicalResourceId"] for logical, r in created.items()}
    parameters = stack_parameters(settings, stack)
    return stack, Resolver(settings, stack.template, stack.name, parameters, physical)


@dataclass(frozen=True)
class FunctionDefinition:
    """What the template says about the function: its environment and timeout."""

    name: str
    role_arn: str
    environment: dict[str, str]
    timeout_seconds: float
    memory_mb: int


def function_definition(settings: Settings) -> FunctionDefinition:
    """The consumer function's definition, resolved against the deployed stack."""
    stack, resolver = streaming_stack(settings)
    props = stack.template.resources[FUNCTION_LOGICAL_ID]["Properties"]
    environment = resolver.resolve(props["Environment"]["Variables"])
    return FunctionDefinition(
        name=resolver.resolve(props["FunctionName"]),
        role_arn=resolver.resolve(props["Role"]),
        environment={k: str(v) for k, v in environment.items()},
        timeout_seconds=float(props.get("Timeout", 3)),
        memory_mb=int(props.get("MemorySize", 128)),
    )


@dataclass
class LocalLambdaContext:
    """The Lambda context object (the attributes Powertools reads), with a real deadline."""

    function_name: str
    memory_limit_in_mb: int
    deadline: float  # time.monotonic() at which the invocation times out
    invoked_function_arn: str = ""
    function_version: str = "$LATEST"
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    log_group_name: str = ""
    log_stream_name: str = "local"

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self.deadline - time.monotonic()) * 1000))


@dataclass
class Invocation:
    """What one invocation returned, or the error it raised."""

    response: dict | None
    error: str | None
    seconds: float


class LocalFunction:
    """The consumer handler loaded in this process with the function's environment."""

    def __init__(self, settings: Settings, definition: FunctionDefinition, module):
        self.settings = settings
        self.definition = definition
        self.module = module
        self.timeout = settings.stream.invoke_timeout_seconds or definition.timeout_seconds
        self.arn = (
            f"arn:aws:lambda:{settings.aws_region}:{settings.aws_account_id}:function:"
            f"{definition.name}"
        )
        self._cloudwatch = None

    def invoke(self, event: dict) -> Invocation:
        """Call ``lambda_handler(event, context)`` as the Lambda runtime does."""
        context = LocalLambdaContext(
            self.definition.name,
            self.definition.memory_mb,
            time.monotonic() + self.timeout,
            invoked_function_arn=self.arn,
            log_group_name=f"/aws/lambda/{self.definition.name}",
        )
        started = time.monotonic()
        printed = io.StringIO()
        try:
            with contextlib.redirect_stdout(printed):
                response = self.module.lambda_handler(event, context)
            error = None
        except Exception as exc:  # noqa: BLE001 - a function error, reported like Lambda does
            response, error = None, f"{type(exc).__name__}: {exc}"
        self._forward_output(printed.getvalue())
        return Invocation(response, error, time.monotonic() - started)

    def _forward_output(self, text: str) -> None:
        emf, other = split_emf(text)
        if other:
            with open(function_log_path(self.settings), "a", encoding="utf-8") as log:
                log.write(other)
        if emf:
            put_emf_metrics(self.cloudwatch, emf)

    @property
    def cloudwatch(self):
        if self._cloudwatch is None:
            from dataflow.aws import aws_client

            self._cloudwatch = aws_client(self.settings, "cloudwatch")
        return self._cloudwatch


def function_log_path(settings: Settings) -> Path:
    settings.run_dir.mkdir(parents=True, exist_ok=True)
    return settings.run_dir / "stream-consumer.log"


@cache
def _import_handler(function_dir: str):
    if function_dir not in sys.path:
        sys.path.insert(0, function_dir)
    return importlib.import_module(HANDLER_MODULE)


def load_function(settings: Settings) -> LocalFunction:
    """Set the function's environment in this process and import its handler (once)."""
    definition = function_definition(settings)
    os.environ.update(definition.environment)
    module = _import_handler(str(settings.project_root / FUNCTION_DIR))
    module.logger.registered_handler.setStream(
        open(function_log_path(settings), "a", encoding="utf-8")  # noqa: SIM115 - process-long
    )
    return LocalFunction(settings, definition, module)


# --- EMF → CloudWatch -------------------------------------------------------------------
def split_emf(text: str) -> tuple[list[dict], str]:
    """EMF documents (JSON lines with ``_aws.CloudWatchMetrics``) and the other output."""
    emf, other = [], []
    for line in text.splitlines(keepends=True):
        document = _json_object(line)
        if document is not None and "CloudWatchMetrics" in document.get("_aws", {}):
            emf.append(document)
        else:
            other.append(line)
    return emf, "".join(other)


def _json_object(line: str) -> dict | None:
    if not line.startswith("{"):
        return None
    try:
        document = json.loads(line)
    except json.JSONDecodeError:
        return None
    return document if isinstance(document, dict) else None


def emf_metric_data(document: dict) -> list[tuple[str, list[dict[str, Any]]]]:
    """``(namespace, MetricData)`` pairs of one EMF document, as CloudWatch extracts them."""
    timestamp = document["_aws"].get("Timestamp", time.time() * 1000) / 1000
    pairs = []
    for directive in document["_aws"]["CloudWatchMetrics"]:
        dimension_sets = directive.get("Dimensions") or [[]]
        data = []
        for metric in directive["Metrics"]:
            values = document[metric["Name"]]
            values = values if isinstance(values, list) else [values]
            for dimension_names in dimension_sets:
                dimensions = [{"Name": n, "Value": str(document[n])} for n in dimension_names]
                data.append(
                    {
                        "MetricName": metric["Name"],
                        "Dimensions": dimensions,
                        "Values": [float(v) for v in values],
                        "Unit": metric.get("Unit", "None"),
                        "Timestamp": timestamp,
                    }
                )
        pairs.append((directive["Namespace"], data))
    return pairs


def put_emf_metrics(cloudwatch, documents: list[dict]) -> None:
    for document in documents:
        for namespace, data in emf_metric_data(document):
            for start in range(0, len(data), 20):
                cloudwatch.put_metric_data(Namespace=namespace, MetricData=data[start : start + 20])
