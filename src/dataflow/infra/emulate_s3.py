"""S3 on the local endpoint: what moto's CloudFormation skips or ignores for buckets.

moto creates ``AWS::S3::Bucket`` but applies only ``BucketName``, ``Tags`` and (partly)
``BucketEncryption``; :func:`complete_bucket` applies the rest of the template's properties
(versioning, encryption with bucket keys, public access block, ownership, lifecycle,
notifications) through the S3 API. ``AWS::S3::BucketPolicy`` is skipped and made here.

:func:`adopt_unowned_buckets` lets a runtime whose buckets were made by API (before the storage
stack existed) bootstrap: moto's CloudFormation refuses an existing bucket name, and it has no
resource import, so the objects are set aside in a temporary bucket, the stack creates the
bucket, and the objects move back.
"""

from __future__ import annotations

import json
import logging

from dataflow.infra.emulate import Resolver, completes, emulates

log = logging.getLogger(__name__)


def _encryption(props: dict) -> dict:
    rules = []
    for rule in props["ServerSideEncryptionConfiguration"]:
        api_rule = {"ApplyServerSideEncryptionByDefault": rule["ServerSideEncryptionByDefault"]}
        if "BucketKeyEnabled" in rule:
            api_rule["BucketKeyEnabled"] = bool(rule["BucketKeyEnabled"])
        rules.append(api_rule)
    return {"Rules": rules}


def _lifecycle_rule(rule: dict) -> dict:
    api = {"ID": rule["Id"], "Status": rule["Status"], "Filter": {"Prefix": rule.get("Prefix", "")}}
    if "ExpirationInDays" in rule:
        api["Expiration"] = {"Days": int(rule["ExpirationInDays"])}
    if "Transitions" in rule:
        api["Transitions"] = [
            {"Days": int(t["TransitionInDays"]), "StorageClass": t["StorageClass"]}
            for t in rule["Transitions"]
        ]
    if "NoncurrentVersionExpiration" in rule:
        days = int(rule["NoncurrentVersionExpiration"]["NoncurrentDays"])
        api["NoncurrentVersionExpiration"] = {"NoncurrentDays": days}
    if "AbortIncompleteMultipartUpload" in rule:
        days = int(rule["AbortIncompleteMultipartUpload"]["DaysAfterInitiation"])
        api["AbortIncompleteMultipartUpload"] = {"DaysAfterInitiation": days}
    return api


def _queue_notification(config: dict) -> dict:
    api = {"QueueArn": config["Queue"], "Events": [config["Event"]]}
    rules = config.get("Filter", {}).get("S3Key", {}).get("Rules")
    if rules:
        api["Filter"] = {"Key": {"FilterRules": rules}}
    return api


def _notifications(props: dict | None) -> dict:
    if not props:
        return {}
    return {"QueueConfigurations": [_queue_notification(q) for q in props["QueueConfigurations"]]}


@completes("AWS::S3::Bucket")
def complete_bucket(resolver: Resolver, _logical_id: str, bucket: str, props: dict) -> None:
    """Apply the bucket properties moto's CloudFormation ignores (idempotent puts)."""
    s3 = resolver.client("s3")
    if props.get("VersioningConfiguration"):
        status = props["VersioningConfiguration"]["Status"]
        s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": status})
    if props.get("BucketEncryption"):
        s3.put_bucket_encryption(
            Bucket=bucket, ServerSideEncryptionConfiguration=_encryption(props["BucketEncryption"])
        )
    if props.get("PublicAccessBlockConfiguration"):
        s3.put_public_access_block(
            Bucket=bucket, PublicAccessBlockConfiguration=props["PublicAccessBlockConfiguration"]
        )
    if props.get("OwnershipControls"):
        s3.put_bucket_ownership_controls(
            Bucket=bucket, OwnershipControls=props["OwnershipControls"]
        )
    if props.get("LifecycleConfiguration"):
        rules = [_lifecycle_rule(r) for r in props["LifecycleConfiguration"]["Rules"]]
        s3.put_bucket_lifecycle_configuration(
            Bucket=bucket, LifecycleConfiguration={"Rules": rules}
        )
    s3.put_bucket_notification_configuration(
        Bucket=bucket,
        NotificationConfiguration=_notifications(props.get("NotificationConfiguration")),
    )


def _find_bucket_policy(resolver: Resolver, logical_id: str, props: dict) -> str | None:
    from botocore.exceptions import ClientError

    try:
        policy = resolver.client("s3").get_bucket_policy(Bucket=props["Bucket"])["Policy"]
    except ClientError:
        return None
    return logical_id if json.loads(policy) == props["PolicyDocument"] else None


@emulates("AWS::S3::BucketPolicy", find=_find_bucket_policy)
def ensure_bucket_policy(resolver: Resolver, logical_id: str, props: dict) -> str:
    """Put ``PolicyDocument`` as the policy of ``Bucket``."""
    resolver.client("s3").put_bucket_policy(
        Bucket=props["Bucket"], Policy=json.dumps(props["PolicyDocument"])
    )
    return logical_id


# --- adopting buckets made by API --------------------------------------------------------------
def _all_keys(s3, bucket: str) -> list[str]:
    keys = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
        keys.extend(obj["Key"] for obj in page.get("Contents", []))
    return keys


def _move_objects(s3, source: str, target: str) -> int:
    keys = _all_keys(s3, source)
    for key in keys:
        s3.copy_object(Bucket=target, Key=key, CopySource={"Bucket": source, "Key": key})
    _empty_bucket(s3, source)
    return len(keys)


def _empty_bucket(s3, bucket: str) -> None:
    paginator = s3.get_paginator("list_object_versions")
    for page in paginator.paginate(Bucket=bucket):
        doomed = [
            {"Key": v["Key"], "VersionId": v["VersionId"]}
            for v in (*page.get("Versions", []), *page.get("DeleteMarkers", []))
        ]
        for first in range(0, len(doomed), 1000):
            s3.delete_objects(Bucket=bucket, Delete={"Objects": doomed[first : first + 1000]})


def set_aside_unowned_buckets(settings, names: list[str]) -> dict[str, str]:
    """Move the objects of existing buckets ``names`` into temporary buckets, delete them.

    Local endpoint only (the caller checks). Returns ``{bucket: temporary bucket}``.
    """
    from dataflow.aws import aws_client

    s3 = aws_client(settings, "s3")
    existing = {b["Name"] for b in s3.list_buckets().get("Buckets", [])}
    aside = {}
    for name in names:
        if name not in existing:
            continue
        temporary = f"{name}-adopting"[:63]
        if temporary not in existing:  # else left over by an interrupted adoption: reuse it
            s3.create_bucket(Bucket=temporary)
        moved = _move_objects(s3, name, temporary)
        s3.delete_bucket(Bucket=name)
        log.warning("bucket %s was made outside its stack: %d objects set aside", name, moved)
        aside[name] = temporary
    return aside


def restore_set_aside(settings, aside: dict[str, str]) -> None:
    """Move the objects set aside back into the buckets the stack created."""
    from dataflow.aws import aws_client

    s3 = aws_client(settings, "s3")
    existing = {b["Name"] for b in s3.list_buckets().get("Buckets", [])}
    for name, temporary in aside.items():
        if name not in existing:  # the stack failed: put the bucket back as it was, by API
            s3.create_bucket(Bucket=name)
        _move_objects(s3, temporary, name)
        s3.delete_bucket(Bucket=temporary)
