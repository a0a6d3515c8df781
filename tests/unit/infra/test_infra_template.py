"""Templates as data: short-form tags, conditions, and intrinsic resolution without AWS."""

from __future__ import annotations

from pathlib import Path

from dataflow.infra.emulate import Resolver
from dataflow.infra.template import evaluate_condition, load_template, resource_enabled
from dataflow.settings import load_settings

TEMPLATE = """
Parameters:
  Environment: {Type: String, Default: local}
  Name: {Type: String}
Conditions:
  IsLocal: !Equals [!Ref Environment, local]
  IsAws: !Not [!Condition IsLocal]
Resources:
  Queue:
    Type: AWS::SQS::Queue
    Properties:
      QueueName: !Sub "${Name}-${Environment}"
  OnlyOnAws:
    Type: AWS::SQS::Queue
    Condition: IsAws
    Properties:
      QueueName: !Join ["-", [!Ref Name, aws]]
      Tags: [{Key: a, Value: !If [IsLocal, here, there]}]
      Arn: !GetAtt Queue.Arn
"""


def template(tmp_path: Path):
    path = tmp_path / "t.yaml"
    path.write_text(TEMPLATE)
    return load_template(path)


def test_short_form_tags_become_the_json_form_of_intrinsics(tmp_path):
    doc = template(tmp_path).document
    props = doc["Resources"]["OnlyOnAws"]["Properties"]
    assert doc["Resources"]["Queue"]["Properties"]["QueueName"] == {
        "Fn::Sub": "${Name}-${Environment}"
    }
    assert props["QueueName"] == {"Fn::Join": ["-", [{"Ref": "Name"}, "aws"]]}
    assert props["Arn"] == {"Fn::GetAtt": ["Queue", "Arn"]}
    assert doc["Conditions"]["IsAws"] == {"Fn::Not": [{"Condition": "IsLocal"}]}


def test_conditions_follow_the_parameters(tmp_path):
    t = template(tmp_path)
    local, prod = {"Environment": "local"}, {"Environment": "prod"}
    assert evaluate_condition(t.conditions["IsLocal"], t, local) is True
    assert evaluate_condition(t.conditions["IsAws"], t, local) is False
    assert resource_enabled(t.resources["OnlyOnAws"], t, prod) is True
    assert resource_enabled(t.resources["OnlyOnAws"], t, local) is False


def test_resolver_substitutes_parameters_and_created_resources(tmp_path):
    t = template(tmp_path)
    resolver = Resolver(
        load_settings({}), t, "dataflow-t", {"Environment": "local", "Name": "orders"}, {}
    )
    props = resolver.resolve(
        {k: v for k, v in t.resources["OnlyOnAws"]["Properties"].items() if k != "Arn"}
    )
    assert props == {"QueueName": "orders-aws", "Tags": [{"Key": "a", "Value": "here"}]}
    assert resolver.resolve(t.resources["Queue"]["Properties"]) == {"QueueName": "orders-local"}
    assert resolver.resolve({"Fn::Sub": "${AWS::Region}:${!Literal}"}) == "us-east-1:${Literal}"
