"""Resources that the AWS endpoint's CloudFormation did not create, made from their properties.

moto's CloudFormation skips some resource types with only a warning (``AWS::Glue::*``,
``AWS::SNS::Subscription``, ``AWS::SQS::QueuePolicy``; see ``../shared/ENVIRONMENT.md``). After a
stack is deployed, every declared resource that the stack does not list is handed to the
emulator registered for its type, with its ``Properties`` resolved against the stack
(parameters, pseudo parameters, other resources' ``Ref`` and ``Fn::GetAtt``). So the template
stays the one definition, locally and on AWS, where CloudFormation creates everything itself and
nothing here runs. Emulated resources are processed in template order; an emulator must be
idempotent (create, or update to match the properties).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from dataflow.aws import aws_client
from dataflow.infra.template import Template, evaluate_condition
from dataflow.settings import Settings


class UnsupportedResourceError(RuntimeError):
    """A declared resource was not created and no emulator knows its type."""


@dataclass
class Emulator:
    """How to make (``ensure``) and look up (``find``) one resource type from its properties.

    Both return the resource's ``Ref`` value; ``find`` returns None when it does not exist.
    """

    ensure: Callable[[Resolver, str, dict], str]
    find: Callable[[Resolver, str, dict], str | None]


EMULATORS: dict[str, Emulator] = {}


def emulates(resource_type: str, find: Callable[[Resolver, str, dict], str | None]):
    """Register the decorated ``ensure(resolver, logical_id, properties) -> ref`` function."""

    def register(ensure):
        EMULATORS[resource_type] = Emulator(ensure, find)
        return ensure

    return register


@dataclass
class Resolver:
    """Resolves intrinsic functions in one stack's template, as CloudFormation would."""

    settings: Settings
    template: Template
    stack_name: str
    parameters: dict[str, str]
    physical_ids: dict[str, str]  # logical id -> Ref value of created/emulated resources
    _account: str | None = field(default=None, repr=False)

    def client(self, service: str):
        return aws_client(self.settings, service)

    @property
    def account_id(self) -> str:
        if self._account is None:
            self._account = self.client("sts").get_caller_identity()["Account"]
        return self._account

    def resolve(self, value: Any) -> Any:
        """``value`` with every intrinsic function replaced by its value."""
        if isinstance(value, list):
            return [self.resolve(v) for v in value]
        if not isinstance(value, dict):
            return value
        if len(value) == 1:
            ((name, args),) = value.items()
            handler = _INTRINSICS.get(name)
            if handler is not None:
                return handler(self, args)
        return {k: self.resolve(v) for k, v in value.items()}

    def ref(self, name: str) -> str:
        if name in self.parameters:
            return self.parameters[name]
        pseudo = {
            "AWS::AccountId": lambda: self.account_id,
            "AWS::Region": lambda: self.settings.aws_region,
            "AWS::StackName": lambda: self.stack_name,
            "AWS::Partition": lambda: "aws",
            "AWS::URLSuffix": lambda: "amazonaws.com",
            "AWS::NoValue": lambda: None,
        }
        if name in pseudo:
            return pseudo[name]()
        if name in self.physical_ids:
            return self.physical_ids[name]
        raise UnsupportedResourceError(f"{self.stack_name}: Ref to unknown or not-yet-made {name}")

    def attribute(self, logical_id: str, attribute: str) -> str:
        resource_type = self.template.resources[logical_id]["Type"]
        getter = _ATTRIBUTES.get((resource_type, attribute))
        if getter is None:
            raise UnsupportedResourceError(
                f"{self.stack_name}: Fn::GetAtt {logical_id}.{attribute} ({resource_type}) is not "
                "resolvable locally; add a getter in dataflow.infra.emulate._ATTRIBUTES"
            )
        return getter(self, self.ref(logical_id))


def _sub(resolver: Resolver, args) -> str:
    text, variables = (args, {}) if isinstance(args, str) else (args[0], args[1])
    variables = {k: resolver.resolve(v) for k, v in variables.items()}

    def replace(match: re.Match) -> str:
        name = match.group(1)
        if name.startswith("!"):
            return "${" + name[1:] + "}"
        if name in variables:
            return str(variables[name])
        if "." in name:
            logical_id, attribute = name.split(".", 1)
            return resolver.attribute(logical_id, attribute)
        return str(resolver.ref(name))

    return re.sub(r"\$\{([^}]+)\}", replace, text)


def _if(resolver: Resolver, args):
    condition, when_true, when_false = args
    chosen = evaluate_condition(
        resolver.template.conditions[condition], resolver.template, resolver.parameters
    )
    return resolver.resolve(when_true if chosen else when_false)


_INTRINSICS: dict[str, Callable[[Resolver, Any], Any]] = {
    "Ref": lambda r, name: r.ref(name),
    "Fn::GetAtt": lambda r, args: r.attribute(args[0], args[1]),
    "Fn::Sub": _sub,
    "Fn::Join": lambda r, args: args[0].join(str(v) for v in r.resolve(args[1])),
    "Fn::Select": lambda r, args: r.resolve(args[1])[int(r.resolve(args[0]))],
    "Fn::Split": lambda r, args: r.resolve(args[1]).split(args[0]),
    "Fn::If": _if,
}

_ATTRIBUTES: dict[tuple[str, str], Callable[[Resolver, str], str]] = {
    ("AWS::SQS::Queue", "Arn"): lambda r, url: r.client("sqs").get_queue_attributes(
        QueueUrl=url, AttributeNames=["QueueArn"]
    )["Attributes"]["QueueArn"],
    ("AWS::SQS::Queue", "QueueName"): lambda r, url: url.rstrip("/").rsplit("/", 1)[-1],
    ("AWS::SNS::Topic", "TopicArn"): lambda r, arn: arn,
    ("AWS::SNS::Topic", "TopicName"): lambda r, arn: arn.rsplit(":", 1)[-1],
    ("AWS::S3::Bucket", "Arn"): lambda r, name: f"arn:aws:s3:::{name}",
    ("AWS::Kinesis::Stream", "Arn"): lambda r, name: r.client("kinesis").describe_stream_summary(
        StreamName=name
    )["StreamDescriptionSummary"]["StreamARN"],
    ("AWS::DynamoDB::Table", "Arn"): lambda r, name: r.client("dynamodb").describe_table(
        TableName=name
    )["Table"]["TableArn"],
    ("AWS::IAM::Role", "Arn"): lambda r, name: r.client("iam").get_role(RoleName=name)["Role"][
        "Arn"
    ],
    ("AWS::Lambda::Function", "Arn"): lambda r, name: r.client("lambda").get_function(
        FunctionName=name
    )["Configuration"]["FunctionArn"],
}


# --- emulators ---------------------------------------------------------------------------
def _find_subscription(resolver: Resolver, _logical_id: str, props: dict) -> str | None:
    sns = resolver.client("sns")
    pages = sns.get_paginator("list_subscriptions_by_topic").paginate(TopicArn=props["TopicArn"])
    for page in pages:
        for sub in page["Subscriptions"]:
            if sub["Protocol"] == props["Protocol"] and sub["Endpoint"] == props["Endpoint"]:
                return sub["SubscriptionArn"]
    return None


@emulates("AWS::SNS::Subscription", find=_find_subscription)
def ensure_sns_subscription(resolver: Resolver, logical_id: str, props: dict) -> str:
    """Subscribe ``Endpoint`` to ``TopicArn`` once (attributes as the template sets them)."""
    existing = _find_subscription(resolver, logical_id, props)
    if existing:
        return existing
    attributes = {}
    for name in ("RawMessageDelivery", "FilterPolicy", "RedrivePolicy", "FilterPolicyScope"):
        if name in props:
            value = props[name]
            attributes[name] = value if isinstance(value, str) else json.dumps(value)
    if isinstance(attributes.get("RawMessageDelivery"), bool):
        attributes["RawMessageDelivery"] = str(attributes["RawMessageDelivery"]).lower()
    return resolver.client("sns").subscribe(
        TopicArn=props["TopicArn"],
        Protocol=props["Protocol"],
        Endpoint=props["Endpoint"],
        Attributes={k: str(v).lower() if isinstance(v, bool) else v for k, v in attributes.items()},
        ReturnSubscriptionArn=True,
    )["SubscriptionArn"]


def _find_queue_policy(resolver: Resolver, logical_id: str, props: dict) -> str | None:
    sqs = resolver.client("sqs")
    wanted = json.loads(json.dumps(props["PolicyDocument"]))
    for url in props["Queues"]:
        attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["Policy"])
        if json.loads(attrs.get("Attributes", {}).get("Policy", "{}")) != wanted:
            return None
    return logical_id


@emulates("AWS::SQS::QueuePolicy", find=_find_queue_policy)
def ensure_sqs_queue_policy(resolver: Resolver, logical_id: str, props: dict) -> str:
    """Set ``PolicyDocument`` as the ``Policy`` attribute of every queue in ``Queues``."""
    sqs = resolver.client("sqs")
    for url in props["Queues"]:
        sqs.set_queue_attributes(
            QueueUrl=url, Attributes={"Policy": json.dumps(props["PolicyDocument"])}
        )
    return logical_id
