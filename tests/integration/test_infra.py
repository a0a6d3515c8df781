"""The platform stacks on the moto server: deployed from the templates, idempotent, complete."""

from __future__ import annotations

import json
import uuid
from urllib.parse import unquote_plus

import pytest

from dataflow.aws import aws_client

pytestmark = pytest.mark.integration

SUBSCRIBED_QUEUE = """
Parameters:
  Environment: {Type: String, Default: local}
Resources:
  Topic:
    Type: AWS::SNS::Topic
    Properties: {TopicName: !Sub "dataflow-test-topic-${Environment}"}
  Queue:
    Type: AWS::SQS::Queue
    Properties: {QueueName: dataflow-test-subscriber}
  QueuePolicy:
    Type: AWS::SQS::QueuePolicy
    Properties:
      Queues: [!Ref Queue]
      PolicyDocument:
        Version: "2012-10-17"
        Statement:
          - Effect: Allow
            Principal: {Service: sns.amazonaws.com}
            Action: sqs:SendMessage
            Resource: !GetAtt Queue.Arn
  Subscription:
    Type: AWS::SNS::Subscription
    Properties:
      TopicArn: !Ref Topic
      Protocol: sqs
      Endpoint: !GetAtt Queue.Arn
      RawMessageDelivery: true
"""


def test_bootstrap_leaves_no_declared_resource_missing(settings):
    from dataflow.infra import missing_resources

    assert missing_resources(settings) == []


def test_deploying_again_changes_nothing(settings):
    from dataflow.infra import deploy_platform

    assert set(deploy_platform(settings).values()) == {"unchanged"}


def test_alerts_topic_exists_under_its_configured_name(settings):
    topics = aws_client(settings, "sns").list_topics()["Topics"]
    assert any(t["TopicArn"].endswith(f":{settings.alerts_topic_name}") for t in topics)


def test_types_moto_skips_are_made_from_the_template_properties(settings, tmp_path):
    from dataflow.infra import ensure_emulated_resources, missing_resources
    from dataflow.infra.stacks import Stack, deploy_stack
    from dataflow.infra.template import load_template

    path = tmp_path / "subscribed.yaml"
    path.write_text(SUBSCRIBED_QUEUE)
    stack = Stack("test-subscribed", load_template(path))
    deploy_stack(settings, stack)

    made = ensure_emulated_resources(settings, stack)
    again = ensure_emulated_resources(settings, stack)

    assert made == again == ["QueuePolicy", "Subscription"]
    sns, sqs = aws_client(settings, "sns"), aws_client(settings, "sqs")
    topic = next(
        t["TopicArn"] for t in sns.list_topics()["Topics"] if "test-topic" in t["TopicArn"]
    )
    assert len(sns.list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"]) == 1
    sns.publish(TopicArn=topic, Message=json.dumps({"hello": "on-call"}))
    url = sqs.get_queue_url(QueueName="dataflow-test-subscriber")["QueueUrl"]
    messages = sqs.receive_message(QueueUrl=url, WaitTimeSeconds=2)["Messages"]
    assert json.loads(messages[0]["Body"]) == {"hello": "on-call"}  # raw delivery, as declared
    assert missing_resources(settings) == []  # the platform stacks are unaffected


# --- storage, warehouse and glue stacks --------------------------------------------------------
def test_buckets_have_the_storage_template_configuration(settings, s3):
    for bucket in (settings.landing_bucket, settings.lake_bucket, settings.docs_bucket):
        assert s3.get_bucket_versioning(Bucket=bucket)["Status"] == "Enabled", bucket
        (rule,) = s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"][
            "Rules"
        ]
        assert rule["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"
        assert rule["BucketKeyEnabled"] is True
        block = s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"]
        assert all(block.values()), bucket


def test_landing_files_expire_and_lake_objects_move_to_infrequent_access(settings, s3):
    (landing,) = s3.get_bucket_lifecycle_configuration(Bucket=settings.landing_bucket)["Rules"]
    (lake,) = s3.get_bucket_lifecycle_configuration(Bucket=settings.lake_bucket)["Rules"]

    assert landing["Expiration"] == {"Days": 30}
    assert lake["Transitions"] == [{"Days": 30, "StorageClass": "STANDARD_IA"}]
    assert "Expiration" not in lake


ADOPTED_BUCKET = """
Resources:
  Bucket:
    Type: AWS::S3::Bucket
    Properties:
      BucketName: {bucket}
      VersioningConfiguration: {Status: Enabled}
"""


def test_a_bucket_made_by_api_keeps_its_objects_when_its_stack_first_deploys(
    settings, s3, tmp_path
):
    from dataflow.infra import complete_created_resources, deploy_stack_adopting_buckets
    from dataflow.infra.stacks import Stack
    from dataflow.infra.template import load_template

    bucket = f"dataflow-test-adopted-{uuid.uuid4().hex[:8]}"  # a new stack every run
    s3.create_bucket(Bucket=bucket)  # as the bootstrap did before the storage stack
    for i in range(3):
        s3.put_object(Bucket=bucket, Key=f"landing/x/{i}.csv", Body=b"id\n1\n")
    path = tmp_path / "adopted.yaml"
    path.write_text(ADOPTED_BUCKET.replace("{bucket}", bucket))
    stack = Stack(f"test-{bucket}", load_template(path))

    outcome = deploy_stack_adopting_buckets(settings, stack)
    complete_created_resources(settings, stack)

    assert outcome == "created"
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"]]
    assert keys == [f"landing/x/{i}.csv" for i in range(3)]
    assert s3.get_bucket_versioning(Bucket=bucket)["Status"] == "Enabled"
    assert f"{bucket}-adopting" not in {b["Name"] for b in s3.list_buckets()["Buckets"]}


NOTIFIED_BUCKET = """
Parameters:
  QueueName: {Type: String, Default: dataflow-test-landing-events}
Resources:
  Queue:
    Type: AWS::SQS::Queue
    Properties: {QueueName: !Ref QueueName}
  Bucket:
    Type: AWS::S3::Bucket
    DependsOn: Queue
    Properties:
      BucketName: dataflow-test-notified
      NotificationConfiguration:
        QueueConfigurations:
          - Event: s3:ObjectCreated:*
            Queue: !Sub arn:${AWS::Partition}:sqs:${AWS::Region}:${AWS::AccountId}:${QueueName}
            Filter: {S3Key: {Rules: [{Name: prefix, Value: landing/events/}]}}
"""


def test_bucket_notifications_of_the_template_reach_the_queue(settings, s3, tmp_path):
    from dataflow.infra import complete_created_resources
    from dataflow.infra.stacks import Stack, deploy_stack
    from dataflow.infra.template import load_template

    path = tmp_path / "notified.yaml"
    path.write_text(NOTIFIED_BUCKET)
    stack = Stack("test-notified", load_template(path))
    deploy_stack(settings, stack)
    complete_created_resources(settings, stack)

    s3.put_object(Bucket="dataflow-test-notified", Key="landing/events/a.jsonl", Body=b"{}\n")
    s3.put_object(Bucket="dataflow-test-notified", Key="landing/customers/b.csv", Body=b"id\n")

    sqs = aws_client(settings, "sqs")
    url = sqs.get_queue_url(QueueName="dataflow-test-landing-events")["QueueUrl"]
    bodies = []
    for _ in range(3):
        bodies += [m["Body"] for m in sqs.receive_message(QueueUrl=url).get("Messages", [])]
    records = [r for b in bodies for r in json.loads(b).get("Records", [])]
    keys = [unquote_plus(r["s3"]["object"]["key"]) for r in records]  # event keys are URL-encoded
    assert keys == ["landing/events/a.jsonl"]


def test_warehouse_secret_is_generated_once_and_names_the_instance(settings):
    from dataflow.infra import deploy_platform

    sm = aws_client(settings, "secretsmanager")
    name = f"dataflow/{settings.environment}/warehouse"
    before = json.loads(sm.get_secret_value(SecretId=name)["SecretString"])
    deploy_platform(settings)
    after = json.loads(sm.get_secret_value(SecretId=name)["SecretString"])
    (instance,) = aws_client(settings, "rds").describe_db_instances()["DBInstances"]

    assert after == before and len(after["password"]) == 32
    assert (after["host"], after["port"]) == (
        instance["Endpoint"]["Address"],
        instance["Endpoint"]["Port"],
    )
    assert instance["Engine"] == "postgres" and instance["StorageEncrypted"] is True


def test_glue_connection_points_at_the_warehouse_instance(settings):
    (instance,) = aws_client(settings, "rds").describe_db_instances()["DBInstances"]
    connection = aws_client(settings, "glue").get_connection(Name="dataflow-warehouse")
    properties = connection["Connection"]["ConnectionProperties"]

    endpoint = instance["Endpoint"]
    assert properties["JDBC_CONNECTION_URL"] == (
        f"jdbc:postgresql://{endpoint['Address']}:{endpoint['Port']}/{settings.warehouse_db}"
    )
    assert properties["SECRET_ID"] == f"dataflow/{settings.environment}/warehouse"
