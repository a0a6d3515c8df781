"""Secrets Manager types that moto's CloudFormation skips, made from the template properties.

``AWS::SecretsManager::Secret`` with ``GenerateSecretString`` gets its password from Secrets
Manager's own ``GetRandomPassword`` with the template's options, once: an existing secret keeps
its value. ``AWS::SecretsManager::SecretTargetAttachment`` adds the RDS instance's connection
fields to the secret, as AWS does.

Locally the RDS instance is metadata only (moto): its master password is the unresolved
dynamic reference, not the secret's; the local warehouse is the local Postgres cluster.
"""

from __future__ import annotations

import json

from dataflow.infra.emulate import Resolver, _db_instance, emulates

_PASSWORD_OPTIONS = (
    "PasswordLength", "ExcludeCharacters", "ExcludeNumbers", "ExcludePunctuation",
    "ExcludeUppercase", "ExcludeLowercase", "IncludeSpace", "RequireEachIncludedType",
)  # fmt: skip


def _find_secret(resolver: Resolver, _logical_id: str, props: dict) -> str | None:
    from botocore.exceptions import ClientError

    try:
        return resolver.client("secretsmanager").describe_secret(SecretId=props["Name"])["ARN"]
    except ClientError:
        return None


def _generated_value(resolver: Resolver, options: dict) -> str:
    kwargs = {}
    for name in _PASSWORD_OPTIONS:
        if name in options:
            value = options[name]
            kwargs[name] = int(value) if name == "PasswordLength" else value
    password = resolver.client("secretsmanager").get_random_password(**kwargs)["RandomPassword"]
    if "GenerateStringKey" not in options:
        return password
    document = json.loads(options.get("SecretStringTemplate", "{}"))
    document[options["GenerateStringKey"]] = password
    return json.dumps(document)


@emulates("AWS::SecretsManager::Secret", find=_find_secret)
def ensure_secret(resolver: Resolver, logical_id: str, props: dict) -> str:
    """Create the secret (generated or given value) unless it exists; its ARN (the Ref)."""
    existing = _find_secret(resolver, logical_id, props)
    if existing:
        return existing
    value = props.get("SecretString") or _generated_value(
        resolver, props.get("GenerateSecretString", {})
    )
    kwargs = {"Name": props["Name"], "SecretString": value}
    for name in ("Description", "KmsKeyId", "Tags"):
        if name in props:
            kwargs[name] = props[name]
    return resolver.client("secretsmanager").create_secret(**kwargs)["ARN"]


def _attached(resolver: Resolver, props: dict) -> dict | None:
    sm = resolver.client("secretsmanager")
    secret = json.loads(sm.get_secret_value(SecretId=props["SecretId"])["SecretString"])
    return secret if "host" in secret else None


def _find_attachment(resolver: Resolver, _logical_id: str, props: dict) -> str | None:
    return props["SecretId"] if _attached(resolver, props) else None


@emulates("AWS::SecretsManager::SecretTargetAttachment", find=_find_attachment)
def ensure_secret_attachment(resolver: Resolver, _logical_id: str, props: dict) -> str:
    """Add engine, host, port, dbname and the instance id of ``TargetId`` to the secret."""
    if props["TargetType"] != "AWS::RDS::DBInstance":
        raise ValueError(f"SecretTargetAttachment to {props['TargetType']} is not emulated")
    sm = resolver.client("secretsmanager")
    secret = json.loads(sm.get_secret_value(SecretId=props["SecretId"])["SecretString"])
    instance = _db_instance(resolver, props["TargetId"])
    attached = {
        **secret,
        "engine": instance["Engine"],
        "host": instance["Endpoint"]["Address"],
        "port": instance["Endpoint"]["Port"],
        "dbname": instance.get("DBName"),
        "dbInstanceIdentifier": instance["DBInstanceIdentifier"],
    }
    if attached != secret:
        sm.put_secret_value(SecretId=props["SecretId"], SecretString=json.dumps(attached))
    return props["SecretId"]
