"""The platform stacks on the moto server: deployed from the templates, idempotent, complete."""

from __future__ import annotations

import json

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
