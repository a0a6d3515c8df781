"""Where alerts go: the SNS alerts topic (on-call), the chat webhook, Alertmanager's API.

The topic belongs to the platform's ``alerts`` CloudFormation stack (``dataflow.infra``,
deployed by the local bootstrap into moto, explicitly on AWS); it is looked up by name here.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

from dataflow.settings import Settings

HTTP_TIMEOUT = 10.0


class NotificationError(RuntimeError):
    """A notification could not be delivered; the message names the channel and the cause."""


def alerts_topic_arn(settings: Settings) -> str:
    """ARN of the platform alerts topic (``settings.alerts_topic_name``)."""
    from dataflow.aws import aws_client

    sns = aws_client(settings, "sns")
    suffix = f":{settings.alerts_topic_name}"
    for page in sns.get_paginator("list_topics").paginate():
        for topic in page.get("Topics", []):
            if topic["TopicArn"].endswith(suffix):
                return topic["TopicArn"]
    raise NotificationError(
        f"SNS topic {settings.alerts_topic_name!r} does not exist: deploy the alerts stack "
        "(`dataflow infra deploy`; the local bootstrap does it against moto)"
    )


def publish_to_topic(settings: Settings, subject: str, message: str, severity: str) -> str:
    """Publish to the alerts topic; returns the SNS message id."""
    from dataflow.aws import aws_client

    response = aws_client(settings, "sns").publish(
        TopicArn=alerts_topic_arn(settings),
        Subject=subject[:100],  # SNS limit
        Message=message,
        MessageAttributes={"severity": {"DataType": "String", "StringValue": severity}},
    )
    return response["MessageId"]


def post_json(url: str, payload: Any, channel: str) -> str:
    """POST ``payload`` as JSON; returns the response body. Raises :class:`NotificationError`."""
    request = urllib.request.Request(
        url,
        data=json.dumps(payload).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=HTTP_TIMEOUT) as resp:
            return resp.read().decode(errors="replace")
    except (urllib.error.URLError, OSError) as exc:
        raise NotificationError(f"{channel} webhook {url} failed: {exc}") from exc


def post_to_chat(settings: Settings, text: str) -> str:
    """A Slack-compatible incoming-webhook message (``{"text": ...}``)."""
    return post_json(settings.chat_url, {"text": text}, "chat")


def post_to_alertmanager(settings: Settings, alerts: list[dict]) -> None:
    """``POST /api/v2/alerts`` (labels, annotations, startsAt/endsAt per alert)."""
    post_json(f"{settings.alertmanager_url}/api/v2/alerts", alerts, "Alertmanager")
