"""The platform's CloudFormation stacks: which templates, with which parameters, deployed how.

One stack per template file in ``aws/cloudformation/`` (stack name ``dataflow-<stem>``), in
the order of :data:`STACKS`. Every stack receives the parameters it declares from
:func:`platform_parameters` — the one place where settings become template parameters — so
templates refer to each other's resources by name, not through exports.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass
from pathlib import Path

from dataflow.aws import aws_client
from dataflow.infra.template import Template, load_template
from dataflow.settings import Settings

# Deployment order: later stacks may name resources of earlier ones.
STACKS = ("alerts",)
TEMPLATE_HASH_TAG = "dataflow:template-sha256"
_DONE = {"CREATE_COMPLETE", "UPDATE_COMPLETE", "UPDATE_ROLLBACK_COMPLETE", "IMPORT_COMPLETE"}
_FAILED = {"CREATE_FAILED", "ROLLBACK_COMPLETE", "ROLLBACK_FAILED", "DELETE_COMPLETE",
           "UPDATE_ROLLBACK_FAILED", "DELETE_FAILED"}  # fmt: skip


class StackDeployError(RuntimeError):
    """A stack did not reach a complete state; the message names the stack and its status."""


@dataclass(frozen=True)
class Stack:
    """One template and the stack it deploys to."""

    stem: str
    template: Template

    @property
    def name(self) -> str:
        return f"dataflow-{self.stem}"


def templates_dir(settings: Settings) -> Path:
    return settings.project_root / "aws" / "cloudformation"


def platform_stacks(settings: Settings) -> list[Stack]:
    """The stacks of :data:`STACKS`, templates parsed."""
    folder = templates_dir(settings)
    return [Stack(stem, load_template(folder / f"{stem}.yaml")) for stem in STACKS]


def platform_parameters(settings: Settings) -> dict[str, str]:
    """Every template parameter the platform sets, by name (templates take what they declare)."""
    return {
        "Environment": settings.environment,
        "LandingBucketName": settings.landing_bucket,
        "LakeBucketName": settings.lake_bucket,
        "DocsBucketName": settings.docs_bucket,
        "AlertsTopicName": settings.alerts_topic_name,
    }


def stack_parameters(settings: Settings, stack: Stack) -> dict[str, str]:
    """The values for ``stack``: the platform's where set, else the template's defaults."""
    platform = platform_parameters(settings)
    values = {}
    for name, spec in stack.template.parameters.items():
        if name in platform:
            values[name] = platform[name]
        elif "Default" in spec:
            values[name] = str(spec["Default"])
        else:
            raise StackDeployError(
                f"{stack.template.path.name} declares parameter {name} without a default and "
                "dataflow.infra.stacks.platform_parameters() does not set it"
            )
    return values


def _fingerprint(stack: Stack, parameters: dict[str, str]) -> str:
    digest = hashlib.sha256(stack.template.body.encode())
    digest.update(repr(sorted(parameters.items())).encode())
    return digest.hexdigest()


def deploy_stack(settings: Settings, stack: Stack, timeout: float = 600) -> str:
    """Create or update ``stack``; returns ``created``, ``updated`` or ``unchanged``."""
    cfn = aws_client(settings, "cloudformation")
    parameters = stack_parameters(settings, stack)
    fingerprint = _fingerprint(stack, parameters)
    current = _describe(cfn, stack.name)
    if current and current["StackStatus"] in _DONE and _tag(current) == fingerprint:
        return "unchanged"
    request = {
        "StackName": stack.name,
        "TemplateBody": stack.template.body,
        "Parameters": [{"ParameterKey": k, "ParameterValue": v} for k, v in parameters.items()],
        "Capabilities": ["CAPABILITY_NAMED_IAM"],
        "Tags": [{"Key": TEMPLATE_HASH_TAG, "Value": fingerprint}],
    }
    if current is None or current["StackStatus"] in _FAILED:
        if current is not None:
            cfn.delete_stack(StackName=stack.name)
        cfn.create_stack(**request)
        outcome = "created"
    else:
        cfn.update_stack(**request)
        outcome = "updated"
    _wait(cfn, stack.name, timeout)
    return outcome


def _describe(cfn, name: str) -> dict | None:
    from botocore.exceptions import ClientError

    try:
        return cfn.describe_stacks(StackName=name)["Stacks"][0]
    except ClientError as exc:
        if "does not exist" in str(exc):
            return None
        raise


def _tag(stack: dict) -> str | None:
    return next((t["Value"] for t in stack.get("Tags", []) if t["Key"] == TEMPLATE_HASH_TAG), None)


def _wait(cfn, name: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while True:
        status = cfn.describe_stacks(StackName=name)["Stacks"][0]["StackStatus"]
        if status in _DONE - {"UPDATE_ROLLBACK_COMPLETE"}:
            return
        if status in _FAILED or status == "UPDATE_ROLLBACK_COMPLETE":
            events = cfn.describe_stack_events(StackName=name).get("StackEvents", [])[:5]
            reasons = "; ".join(
                e.get("ResourceStatusReason", "") for e in events if e.get("ResourceStatusReason")
            )
            raise StackDeployError(f"stack {name} ended {status}: {reasons or 'see its events'}")
        if time.monotonic() > deadline:
            raise StackDeployError(f"stack {name} still {status} after {timeout:.0f}s")
        time.sleep(1)


def stack_resources(settings: Settings, stack: Stack) -> dict[str, dict]:
    """Resources CloudFormation created for ``stack``, by logical id."""
    cfn = aws_client(settings, "cloudformation")
    paginator = cfn.get_paginator("list_stack_resources")
    found = {}
    for page in paginator.paginate(StackName=stack.name):
        for summary in page["StackResourceSummaries"]:
            if summary.get("LogicalResourceId"):  # moto lists skipped types as empty entries
                found[summary["LogicalResourceId"]] = summary
    return found
