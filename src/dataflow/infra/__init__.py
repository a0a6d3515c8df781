"""The platform's AWS infrastructure, deployed from the CloudFormation templates in ``aws/``.

``deploy_platform`` deploys every stack of :data:`dataflow.infra.stacks.STACKS` (create,
update, or leave alone when template and parameters are unchanged), then makes any declared
resource the endpoint's CloudFormation did not create from the template's own properties
(:mod:`dataflow.infra.emulate`; only happens against moto). The local bootstrap runs it whenever
an AWS endpoint override is set; against real AWS it is run explicitly
(``dataflow infra deploy``). ``missing_resources`` is what the tests check after bootstrap.
"""

from __future__ import annotations

from dataflow.infra.emulate import COMPLETERS, EMULATORS, Resolver, UnsupportedResourceError
from dataflow.infra.stacks import (
    Stack,
    StackDeployError,
    deploy_stack,
    platform_stacks,
    stack_exists,
    stack_parameters,
    stack_resources,
)
from dataflow.infra.template import resource_enabled
from dataflow.settings import Settings


def _resolver(settings: Settings, stack: Stack, created: dict[str, dict]) -> Resolver:
    physical = {logical: r["PhysicalResourceId"] for logical, r in created.items()}
    return Resolver(
        settings, stack.template, stack.name, stack_parameters(settings, stack), physical
    )


def _declared(settings: Settings, stack: Stack):
    parameters = stack_parameters(settings, stack)
    for logical_id, resource in stack.template.resources.items():
        if resource_enabled(resource, stack.template, parameters):
            yield logical_id, resource


def ensure_emulated_resources(settings: Settings, stack: Stack) -> list[str]:
    """Make the declared resources of ``stack`` that its CloudFormation run did not create."""
    created = stack_resources(settings, stack)
    resolver = _resolver(settings, stack, created)
    made = []
    for logical_id, resource in _declared(settings, stack):
        if logical_id in created:
            continue
        emulator = EMULATORS.get(resource["Type"])
        if emulator is None:
            raise UnsupportedResourceError(
                f"{stack.name}: {logical_id} ({resource['Type']}) was not created by the "
                "endpoint's CloudFormation and dataflow.infra.emulate has no emulator for it"
            )
        props = resolver.resolve(resource.get("Properties", {}))
        resolver.physical_ids[logical_id] = emulator.ensure(resolver, logical_id, props)
        made.append(logical_id)
    return made


def complete_created_resources(settings: Settings, stack: Stack) -> list[str]:
    """Apply properties the endpoint's CloudFormation ignored on resources it created."""
    created = stack_resources(settings, stack)
    resolver = _resolver(settings, stack, created)
    completed = []
    for logical_id, resource in _declared(settings, stack):
        complete = COMPLETERS.get(resource["Type"])
        if complete is None or logical_id not in created:
            continue
        props = resolver.resolve(resource.get("Properties", {}))
        complete(resolver, logical_id, resolver.physical_ids[logical_id], props)
        completed.append(logical_id)
    return completed


def _unowned_bucket_names(settings: Settings, stack: Stack) -> list[str]:
    """Bucket names ``stack`` declares while it does not exist yet (local endpoint only)."""
    if not settings.aws_endpoint_url or stack_exists(settings, stack):
        return []
    resolver = _resolver(settings, stack, {})
    return [
        resolver.resolve(resource["Properties"]["BucketName"])
        for _, resource in _declared(settings, stack)
        if resource["Type"] == "AWS::S3::Bucket" and "BucketName" in resource.get("Properties", {})
    ]


def deploy_stack_adopting_buckets(settings: Settings, stack: Stack) -> str:
    """``deploy_stack``; buckets of the stack made earlier by API are adopted (see emulate_s3)."""
    from dataflow.infra.emulate_s3 import restore_set_aside, set_aside_unowned_buckets

    aside = set_aside_unowned_buckets(settings, _unowned_bucket_names(settings, stack))
    try:
        return deploy_stack(settings, stack)
    finally:
        restore_set_aside(settings, aside)


def deploy_platform(settings: Settings) -> dict[str, str]:
    """Deploy every platform stack; returns ``{stack name: created|updated|unchanged}``."""
    outcomes = {}
    for stack in platform_stacks(settings):
        outcomes[stack.name] = deploy_stack_adopting_buckets(settings, stack)
        if settings.aws_endpoint_url:  # only a local endpoint skips or ignores anything
            complete_created_resources(settings, stack)
            ensure_emulated_resources(settings, stack)
    return outcomes


def missing_resources(settings: Settings) -> list[str]:
    """Declared resources that exist neither in their stack nor (emulated) on the endpoint."""
    missing = []
    for stack in platform_stacks(settings):
        try:
            created = stack_resources(settings, stack)
        except Exception as exc:  # noqa: BLE001 - a missing stack means all of it is missing
            missing.append(f"{stack.name} (stack: {exc})")
            continue
        resolver = _resolver(settings, stack, created)
        for logical_id, resource in _declared(settings, stack):
            if logical_id in created:
                continue
            emulator = EMULATORS.get(resource["Type"])
            ref = None
            if emulator is not None:
                try:
                    props = resolver.resolve(resource.get("Properties", {}))
                except UnsupportedResourceError:  # refers to another missing resource
                    props = None
                ref = None if props is None else emulator.find(resolver, logical_id, props)
            if ref is None:
                missing.append(f"{stack.name}/{logical_id} ({resource['Type']})")
            else:
                resolver.physical_ids[logical_id] = ref
    return missing


__all__ = [
    "StackDeployError",
    "complete_created_resources",
    "deploy_stack_adopting_buckets",
    "UnsupportedResourceError",
    "deploy_platform",
    "missing_resources",
]
