"""The platform's AWS infrastructure, deployed from the CloudFormation templates in ``aws/``.

``deploy_platform`` deploys every stack of :data:`dataflow.infra.stacks.STACKS` (create,
update, or leave alone when template and parameters are unchanged), then makes any declared
resource the endpoint's CloudFormation did not create from the template's own properties
(:mod:`dataflow.infra.emulate`; only happens against moto). The local bootstrap runs it whenever
an AWS endpoint override is set; against real AWS it is run explicitly
(``dataflow infra deploy``). ``missing_resources`` is what the tests check after bootstrap.
"""

from __future__ import annotations

from dataflow.infra.emulate import EMULATORS, Resolver, UnsupportedResourceError
from dataflow.infra.stacks import (
    Stack,
    StackDeployError,
    deploy_stack,
    platform_stacks,
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


def deploy_platform(settings: Settings) -> dict[str, str]:
    """Deploy every platform stack; returns ``{stack name: created|updated|unchanged}``."""
    outcomes = {}
    for stack in platform_stacks(settings):
        outcomes[stack.name] = deploy_stack(settings, stack)
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
    "UnsupportedResourceError",
    "deploy_platform",
    "missing_resources",
]
