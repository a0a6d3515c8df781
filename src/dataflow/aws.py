"""boto3 clients with the endpoint override applied in one place.

With ``AWS_ENDPOINT_URL`` unset and the local runtime off, these are plain boto3 clients that
talk to real AWS with the standard credential chain.
"""

from __future__ import annotations

from typing import Any

from dataflow.settings import LOCAL_AWS_ACCESS_KEY, LOCAL_AWS_SECRET_KEY, Settings


def client_kwargs(settings: Settings) -> dict[str, Any]:
    """Keyword arguments for ``boto3.client`` that respect the endpoint override."""
    kwargs: dict[str, Any] = {"region_name": settings.aws_region}
    if settings.aws_endpoint_url:
        kwargs["endpoint_url"] = settings.aws_endpoint_url
    if settings.local_aws:
        kwargs["aws_access_key_id"] = LOCAL_AWS_ACCESS_KEY
        kwargs["aws_secret_access_key"] = LOCAL_AWS_SECRET_KEY
    return kwargs


def aws_client(settings: Settings, service: str, **config: Any):
    """A boto3 client of ``service`` for ``settings`` (the one client factory of the package).

    ``config`` goes to ``botocore.config.Config`` (e.g. ``retries``, ``connect_timeout``).
    """
    import boto3

    kwargs = client_kwargs(settings)
    if config:
        from botocore.config import Config

        kwargs["config"] = Config(**config)
    return boto3.client(service, **kwargs)


def s3_client(settings: Settings):
    """An S3 client for ``settings``."""
    return aws_client(settings, "s3")


def ensure_buckets(settings: Settings) -> list[str]:
    """Create the landing, lake and docs buckets if missing (idempotent)."""
    s3 = s3_client(settings)
    existing = {b["Name"] for b in s3.list_buckets().get("Buckets", [])}
    created = []
    for bucket in (settings.landing_bucket, settings.lake_bucket, settings.docs_bucket):
        if bucket in existing:
            continue
        params: dict[str, Any] = {"Bucket": bucket}
        if settings.aws_region != "us-east-1":
            params["CreateBucketConfiguration"] = {"LocationConstraint": settings.aws_region}
        s3.create_bucket(**params)
        created.append(bucket)
    return created


def list_keys(settings: Settings, bucket: str, prefix: str) -> list[str]:
    """All object keys under ``prefix``, sorted."""
    paginator = s3_client(settings).get_paginator("list_objects_v2")
    keys: list[str] = []
    for page in paginator.paginate(Bucket=bucket, Prefix=prefix):
        keys.extend(obj["Key"] for obj in page.get("Contents", []))
    return sorted(keys)
