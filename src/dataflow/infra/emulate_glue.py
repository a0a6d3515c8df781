"""``AWS::Glue::*`` on the local endpoint: moto's CloudFormation skips them all.

Each is made through moto's Glue API from the template's own properties (their CloudFormation
shapes are the API's). moto's Glue has no ``UpdateJob`` and no ``UpdateConnection``/
``DeleteConnection``: a job whose definition changed is deleted and created again; a connection
is created once and then left alone. A table is created once and then belongs to the job that
registers its snapshots (``dataflow.features.catalog``), as on AWS, where the runs move its
location after the stack made it.
"""

from __future__ import annotations

from dataflow.infra.emulate import Resolver, emulates

_JOB_FIELDS = (
    "Description", "Role", "Command", "DefaultArguments", "NonOverridableArguments",
    "Connections", "MaxRetries", "Timeout", "GlueVersion", "WorkerType", "NumberOfWorkers",
    "ExecutionProperty", "MaxCapacity", "SecurityConfiguration", "NotificationProperty",
)  # fmt: skip
_INTEGER_FIELDS = ("MaxRetries", "Timeout", "NumberOfWorkers")


def _exists(resolver: Resolver, get: str, **key) -> bool:
    """Whether the Glue ``get`` call (e.g. ``get_job``) finds the entity ``key`` names."""
    glue = resolver.client("glue")
    try:
        getattr(glue, get)(**key)
    except glue.exceptions.EntityNotFoundException:
        return False
    return True


# --- database ---------------------------------------------------------------------------------
def _find_database(resolver: Resolver, _logical_id: str, props: dict) -> str | None:
    name = props["DatabaseInput"]["Name"]
    return name if _exists(resolver, "get_database", Name=name) else None


@emulates("AWS::Glue::Database", find=_find_database)
def ensure_database(resolver: Resolver, logical_id: str, props: dict) -> str:
    """Create the database, or update it to the template's ``DatabaseInput``."""
    glue, database = resolver.client("glue"), props["DatabaseInput"]
    if _find_database(resolver, logical_id, props):
        glue.update_database(Name=database["Name"], DatabaseInput=database)
    else:
        glue.create_database(DatabaseInput=database)
    return database["Name"]


# --- table ------------------------------------------------------------------------------------
def _find_table(resolver: Resolver, _logical_id: str, props: dict) -> str | None:
    name = props["TableInput"]["Name"]
    found = _exists(resolver, "get_table", DatabaseName=props["DatabaseName"], Name=name)
    return name if found else None


@emulates("AWS::Glue::Table", find=_find_table)
def ensure_table(resolver: Resolver, logical_id: str, props: dict) -> str:
    """Create the table once (its later locations are the registering job's)."""
    existing = _find_table(resolver, logical_id, props)
    if existing:
        return existing
    table = _with_boolean(props["TableInput"], ("StorageDescriptor", "Compressed"))
    resolver.client("glue").create_table(DatabaseName=props["DatabaseName"], TableInput=table)
    return table["Name"]


def _with_boolean(document: dict, path: tuple[str, str]) -> dict:
    outer, key = path
    if outer in document and key in document[outer]:
        value = document[outer][key]
        flag = value if isinstance(value, bool) else str(value).lower() == "true"
        document = {**document, outer: {**document[outer], key: flag}}
    return document


# --- job --------------------------------------------------------------------------------------
def _job_definition(props: dict) -> dict:
    definition = {k: props[k] for k in _JOB_FIELDS if k in props}
    for name in _INTEGER_FIELDS:
        if name in definition:
            definition[name] = int(definition[name])
    if "ExecutionProperty" in definition:
        runs = int(definition["ExecutionProperty"]["MaxConcurrentRuns"])
        definition["ExecutionProperty"] = {"MaxConcurrentRuns": runs}
    if "DefaultArguments" in definition:
        definition["DefaultArguments"] = {k: str(v) for k, v in props["DefaultArguments"].items()}
    return definition


def _find_job(resolver: Resolver, _logical_id: str, props: dict) -> str | None:
    return props["Name"] if _exists(resolver, "get_job", JobName=props["Name"]) else None


def _job_matches(resolver: Resolver, props: dict) -> bool:
    current = resolver.client("glue").get_job(JobName=props["Name"])["Job"]
    return all(current.get(k) == v for k, v in _job_definition(props).items())


@emulates("AWS::Glue::Job", find=_find_job)
def ensure_job(resolver: Resolver, logical_id: str, props: dict) -> str:
    """Create the job; a changed definition replaces it (moto has no UpdateJob)."""
    glue = resolver.client("glue")
    if _find_job(resolver, logical_id, props):
        if _job_matches(resolver, props):
            return props["Name"]
        glue.delete_job(JobName=props["Name"])
    tags = props.get("Tags") or {}
    glue.create_job(Name=props["Name"], Tags=tags, **_job_definition(props))
    return props["Name"]


# --- connection -------------------------------------------------------------------------------
def _find_connection(resolver: Resolver, _logical_id: str, props: dict) -> str | None:
    name = props["ConnectionInput"]["Name"]
    return name if _exists(resolver, "get_connection", Name=name) else None


@emulates("AWS::Glue::Connection", find=_find_connection)
def ensure_connection(resolver: Resolver, logical_id: str, props: dict) -> str:
    """Create the connection once (moto can neither update nor delete one)."""
    existing = _find_connection(resolver, logical_id, props)
    if existing:
        return existing
    resolver.client("glue").create_connection(ConnectionInput=props["ConnectionInput"])
    return props["ConnectionInput"]["Name"]
