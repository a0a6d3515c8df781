"""Static checks of the shipping files: docker-compose.yml, the Airflow Dockerfile, CI.

No Docker engine is needed: the files are parsed and held against each other and against what
``dataflow.settings`` / ``dataflow.runtime.env`` derive, so the container stack cannot drift
from the embedded runtime unnoticed.
"""

from __future__ import annotations

import fnmatch
import json
import re
import tomllib
from pathlib import Path

import pytest
import yaml

from dataflow.runtime.env import TELEMETRY_OFF, airflow_env, dbt_env
from dataflow.settings import load_settings

ROOT = Path(__file__).resolve().parents[2]
COMPOSE_FILE = ROOT / "docker-compose.yml"
DOCKERFILE = ROOT / "docker" / "airflow" / "Dockerfile"
CI_WORKFLOW = ROOT / ".github" / "workflows" / "ci.yml"
AIRFLOW_SERVICES = (
    "airflow-apiserver",
    "airflow-scheduler",
    "airflow-dag-processor",
    "airflow-triggerer",
)
# ${VAR}, ${VAR:-default}, ${VAR-default}, and $$ (a literal $), as docker compose reads them.
_INTERPOLATION = re.compile(r"\$\$|\$\{(?P<name>\w+)(?::?-(?P<default>[^}]*))?\}")


# --- helpers ----------------------------------------------------------------------------------
def interpolate_defaults(text: str) -> str:
    """``text`` as docker compose sees it with an empty ``.env``: every variable at its default."""
    return _INTERPOLATION.sub(lambda m: "$" if m.group(0) == "$$" else m["default"] or "", text)


def load_compose() -> dict:
    return yaml.safe_load(interpolate_defaults(COMPOSE_FILE.read_text()))


def depends_on_targets(service: dict) -> list[str]:
    depends = service.get("depends_on", [])
    return list(depends) if isinstance(depends, dict | list) else []


def dockerfile_instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs with continuation lines joined and comments dropped."""
    logical = re.sub(r"\\\n", " ", DOCKERFILE.read_text())
    lines = [line.strip() for line in logical.splitlines()]
    pairs = [line.split(maxsplit=1) for line in lines if line and not line.startswith("#")]
    return [(p[0].upper(), p[1] if len(p) > 1 else "") for p in pairs]


def dockerfile_env() -> dict[str, str]:
    env: dict[str, str] = {}
    for instruction, args in dockerfile_instructions():
        if instruction == "ENV":
            env.update(dict(re.findall(r"(\w+)=(\S+)", args)))
    return env


def context_copy_sources() -> list[str]:
    """Sources of ``COPY`` instructions that read the build context (not another stage)."""
    sources = []
    for instruction, args in dockerfile_instructions():
        if instruction != "COPY" or "--from=" in args:
            continue
        words = [w for w in args.split() if not w.startswith("--")]
        sources += words[:-1]
    return sources


def load_workflow() -> dict:
    return yaml.safe_load(CI_WORKFLOW.read_text())


def step_commands(job: dict) -> str:
    return "\n".join(step.get("run", "") for step in job["steps"])


# --- docker-compose.yml -----------------------------------------------------------------------
def test_every_depends_on_target_is_a_service():
    services = load_compose()["services"]
    dangling = {
        (name, target)
        for name, service in services.items()
        for target in depends_on_targets(service)
        if target not in services
    }
    assert not dangling


@pytest.mark.parametrize("name", ["postgres", "moto", "airflow-apiserver"])
def test_service_other_services_wait_for_has_a_healthcheck(name):
    assert load_compose()["services"][name]["healthcheck"]["test"]


def test_waits_for_healthy_only_on_services_with_a_healthcheck():
    services = load_compose()["services"]
    for service in services.values():
        for target, rule in (service.get("depends_on") or {}).items():
            if rule.get("condition") == "service_healthy":
                assert "healthcheck" in services[target], target


def test_airflow_services_start_after_a_successful_init():
    services = load_compose()["services"]
    assert services["airflow-init"]["restart"] == "no"
    for name in AIRFLOW_SERVICES:
        rule = services[name]["depends_on"]["airflow-init"]
        assert rule["condition"] == "service_completed_successfully", name


def test_airflow_services_share_one_environment_with_db_and_jwt_secret():
    services = load_compose()["services"]
    envs = [services[name]["environment"] for name in ("airflow-init", *AIRFLOW_SERVICES)]
    assert all(env == envs[0] for env in envs)
    assert envs[0]["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"]
    assert envs[0]["AIRFLOW__API_AUTH__JWT_SECRET"]


def test_secrets_come_from_the_env_file_with_a_default():
    text = COMPOSE_FILE.read_text()
    assert "${AIRFLOW_JWT_SECRET:-" in text
    assert "${POSTGRES_PASSWORD:-" in text
    example = (ROOT / ".env.example").read_text()
    assert "AIRFLOW_JWT_SECRET=" in example and "POSTGRES_PASSWORD=" in example


def test_compose_environment_attaches_to_what_settings_derives(tmp_path):
    # GIVEN the dataflow settings a container resolves from the compose environment
    env = load_compose()["x-airflow-common"]["environment"]
    settings = load_settings({**env, "DATAFLOW_HOME": str(tmp_path)})
    # THEN Airflow, dbt and boto3 variables point at the same servers the package uses
    assert env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"] == settings.airflow_sqlalchemy_url
    assert env["AIRFLOW_CONN_WAREHOUSE"] == settings.warehouse_url
    assert {k: env[k] for k in dbt_env(settings) if k != "DBT_PROFILES_DIR"} == {
        k: v for k, v in dbt_env(settings).items() if k != "DBT_PROFILES_DIR"
    }
    aws_conn = json.loads(env["AIRFLOW_CONN_AWS_DEFAULT"])
    assert aws_conn["extra"]["endpoint_url"] == settings.aws_endpoint_url == "http://moto:5000"
    assert not settings.local_aws, "moto is its own service; the package must not start one"


def test_compose_sets_every_airflow_variable_the_runtime_sets(tmp_path):
    settings = load_settings({"DATAFLOW_HOME": str(tmp_path)})
    provided = set(load_compose()["x-airflow-common"]["environment"]) | set(dockerfile_env())
    assert set(airflow_env(settings)) - provided == set()


def test_execution_api_url_names_the_api_server_service():
    compose = load_compose()
    url = compose["x-airflow-common"]["environment"]["AIRFLOW__CORE__EXECUTION_API_SERVER_URL"]
    assert url.startswith("http://airflow-apiserver:8080/")
    assert "airflow-apiserver" in compose["services"]


def test_postgres_init_script_creates_the_configured_databases():
    compose = load_compose()
    env = compose["x-airflow-common"]["environment"]
    sql = (ROOT / "docker" / "postgres" / "init.sql").read_text().lower()
    for db in (env["DATAFLOW_WAREHOUSE_DB"], env["DATAFLOW_AIRFLOW_DB"]):
        assert f"create database {db};" in sql
    mounts = compose["services"]["postgres"]["volumes"]
    assert any(
        m.startswith("./docker/postgres/init.sql:/docker-entrypoint-initdb.d/") for m in mounts
    )


def test_moto_image_matches_the_locked_moto_version():
    lock = tomllib.loads((ROOT / "uv.lock").read_text())
    locked = next(p["version"] for p in lock["package"] if p["name"] == "moto")
    image = load_compose()["services"]["moto"]["image"]
    assert image == f"motoserver/moto:{locked}"


# --- docker/airflow/Dockerfile ----------------------------------------------------------------
def test_image_runs_as_non_root_airflow_user():
    users = [args for instruction, args in dockerfile_instructions() if instruction == "USER"]
    assert users and users[-1] not in {"root", "0"}
    assert "--uid 50000" in DOCKERFILE.read_text()


def test_image_installs_the_lock_before_the_code():
    sources = context_copy_sources()
    assert "uv.lock" in sources
    assert sources.index("uv.lock") < sources.index("src/")
    assert "uv sync --frozen --no-dev" in DOCKERFILE.read_text()


def test_image_pins_the_uv_version_the_makefile_uses():
    makefile_uv = re.search(r"uv==([\d.]+)", (ROOT / "Makefile").read_text())[1]
    assert f"ARG UV_VERSION={makefile_uv}" in DOCKERFILE.read_text()


def test_image_is_based_on_python_311_slim_bookworm():
    assert "ARG PYTHON_IMAGE=python:3.11-slim-bookworm" in DOCKERFILE.read_text()


def test_image_entrypoint_is_airflow_and_it_builds_the_dbt_manifest():
    instructions = dockerfile_instructions()
    assert ("ENTRYPOINT", '["airflow"]') in instructions
    assert any(i == "RUN" and "dataflow dbt-parse" in a for i, a in instructions)
    assert any(i == "HEALTHCHECK" for i, _ in instructions)


def test_image_turns_telemetry_off():
    env = dockerfile_env()
    assert {k: env.get(k) for k in TELEMETRY_OFF} == TELEMETRY_OFF


def test_dockerignore_keeps_every_copied_path_in_the_context():
    patterns = [
        line.strip()
        for line in (ROOT / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    for source in context_copy_sources():
        path = source.rstrip("/")
        assert not any(fnmatch.fnmatch(path, p) for p in patterns), source


def test_scripts_the_image_copies_exist():
    for source in context_copy_sources():
        if source.startswith("docker/"):
            assert (ROOT / source).is_file(), source


# --- .github/workflows/ci.yml -----------------------------------------------------------------
def test_ci_test_job_runs_the_same_command_as_ci_run():
    jobs = load_workflow()["jobs"]
    assert "make test" in step_commands(jobs["test"])
    assert "make test" in (ROOT / ".ci" / "run").read_text()


def test_ci_is_read_only_and_every_job_has_a_timeout():
    workflow = load_workflow()
    assert workflow["permissions"] == {"contents": "read"}
    assert workflow["concurrency"]["cancel-in-progress"] is True
    assert all("timeout-minutes" in job for job in workflow["jobs"].values())


def test_ci_runs_on_push_and_pull_request():
    workflow = load_workflow()
    triggers = workflow.get("on", workflow.get(True))  # PyYAML reads the key `on` as True
    assert {"push", "pull_request"} <= set(triggers)


def test_ci_builds_the_image_and_checks_the_compose_file():
    commands = step_commands(load_workflow()["jobs"]["build-image"])
    assert "docker build -f docker/airflow/Dockerfile" in commands
    assert "docker compose -f docker-compose.yml config -q" in commands


def test_ci_python_matches_the_project_python():
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert pyproject["project"]["requires-python"].startswith(">=3.11")
    assert load_workflow()["env"]["PYTHON_VERSION"] == "3.11"
