"""S3 ObjectCreated notifications of ``landing/events/`` → the landing-events SQS queue.

The queue and its policy are declared in ``aws/cloudformation/streaming.yaml``. The
notification itself belongs on the landing bucket's resource (``NotificationConfiguration`` in
the storage stack); until that stack declares it, :func:`ensure_landing_events_notification` is
the one place that configures it, called by the local bootstrap after the stacks are deployed.
It merges with whatever else the bucket notifies and is idempotent.
"""

from __future__ import annotations

from dataflow.aws import aws_client
from dataflow.settings import Settings
from dataflow.streaming.names import EVENTS_LAKE_PREFIX

NOTIFICATION_ID = "landing-events-to-sqs"


def landing_events_queue_arn(settings: Settings) -> str:
    name = settings.stream.landing_events_queue
    return f"arn:aws:sqs:{settings.aws_region}:{settings.aws_account_id}:{name}"


def desired_notification(settings: Settings) -> dict:
    """The bucket's queue configuration for every object created under ``landing/events/``."""
    return {
        "Id": NOTIFICATION_ID,
        "QueueArn": landing_events_queue_arn(settings),
        "Events": ["s3:ObjectCreated:*"],
        "Filter": {"Key": {"FilterRules": [{"Name": "prefix", "Value": EVENTS_LAKE_PREFIX}]}},
    }


def _same(current: dict, wanted: dict) -> bool:
    def rules(config):
        return {
            (r["Name"].lower(), r["Value"])
            for r in config.get("Filter", {}).get("Key", {}).get("FilterRules", [])
        }

    return (
        current.get("QueueArn") == wanted["QueueArn"]
        and set(current.get("Events", [])) == set(wanted["Events"])
        and rules(current) == rules(wanted)
    )


def ensure_landing_events_notification(settings: Settings) -> bool:
    """Configure the notification unless present; True when this call changed the bucket."""
    s3 = aws_client(settings, "s3")
    current = s3.get_bucket_notification_configuration(Bucket=settings.landing_bucket)
    current.pop("ResponseMetadata", None)
    wanted = desired_notification(settings)
    queues = current.get("QueueConfigurations", [])
    ours = [q for q in queues if q.get("Id") == NOTIFICATION_ID]
    if ours and _same(ours[0], wanted):
        return False
    current["QueueConfigurations"] = [q for q in queues if q.get("Id") != NOTIFICATION_ID]
    current["QueueConfigurations"].append(wanted)
    s3.put_bucket_notification_configuration(
        Bucket=settings.landing_bucket, NotificationConfiguration=current
    )
    return True
