"""The Airflow REST API (``/api/v2``) through ``apache-airflow-client``, with a JWT login.

Airflow 3 tasks cannot query the metadata DB, and the exporter must not either: DAG runs,
their states and task instances come from here. A token comes from ``POST /auth/token``
(user and password from settings, or the local runtime's generated admin password) and is
renewed once when the API answers 401.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from dataflow.settings import Settings

REQUEST_TIMEOUT = 10.0
TERMINAL_STATES = ("success", "failed")


class AirflowApiError(RuntimeError):
    """The Airflow REST API is unreachable or refused the request; the message says why."""


@dataclass(frozen=True)
class DagRun:
    """The fields of a DAG run that monitoring uses."""

    dag_id: str
    run_id: str
    state: str
    start_date: datetime | None
    end_date: datetime | None
    data_interval_start: datetime | None
    data_interval_end: datetime | None

    wall_seconds: float | None = None  # first task start → last task end, when known

    @property
    def duration_seconds(self) -> float | None:
        """The run's wall time: its tasks' span when known, else end − start of the run.

        ``airflow dags test`` records a run's start as its logical date, so end − start of such
        a run spans weeks; the tasks' span is what the run really took either way.
        """
        if self.wall_seconds is not None:
            return self.wall_seconds
        if self.start_date is None or self.end_date is None:
            return None
        return (self.end_date - self.start_date).total_seconds()


@dataclass(frozen=True)
class TaskInstance:
    task_id: str
    state: str | None
    start_date: datetime | None
    end_date: datetime | None


def api_password(settings: Settings) -> str:
    """The REST API password: ``DATAFLOW_AIRFLOW_API_PASSWORD``, else the local runtime's."""
    if settings.airflow_api_password:
        return settings.airflow_api_password
    path = settings.airflow_home / "passwords.json"
    try:
        return json.loads(path.read_text())[settings.airflow_api_user]
    except (FileNotFoundError, KeyError, ValueError) as exc:
        raise AirflowApiError(
            f"no password for the Airflow API user {settings.airflow_api_user!r}: set "
            f"DATAFLOW_AIRFLOW_API_PASSWORD or start the local runtime (`dataflow up`), "
            f"which writes {path}"
        ) from exc


def fetch_token(settings: Settings, timeout: float = REQUEST_TIMEOUT) -> str:
    """A JWT from ``POST /auth/token``."""
    body = json.dumps(
        {"username": settings.airflow_api_user, "password": api_password(settings)}
    ).encode()
    request = urllib.request.Request(
        f"{settings.airflow_api_url}/auth/token",
        data=body,
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as resp:
            return json.load(resp)["access_token"]
    except (urllib.error.URLError, OSError, KeyError, ValueError) as exc:
        raise AirflowApiError(
            f"cannot log in to the Airflow API at {settings.airflow_api_url}: {exc}"
        ) from exc


def _dag_run(run: Any) -> DagRun:
    return DagRun(
        dag_id=run.dag_id,
        run_id=run.dag_run_id,
        state=str(run.state.value if hasattr(run.state, "value") else run.state),
        start_date=run.start_date,
        end_date=run.end_date,
        data_interval_start=run.data_interval_start,
        data_interval_end=run.data_interval_end,
    )


def _task_instance(ti: Any) -> TaskInstance:
    state = ti.state.value if hasattr(ti.state, "value") else ti.state
    return TaskInstance(ti.task_id, state, ti.start_date, ti.end_date)


@dataclass
class AirflowApi:
    """A small, typed view of the endpoints monitoring reads. Not thread-safe; one per thread."""

    settings: Settings
    timeout: float = REQUEST_TIMEOUT
    _client: Any = field(default=None, repr=False)
    # (dag_id, run_id) → wall seconds of finished runs: immutable once a run ended, so kept
    # to spare a task-instance call per run and scrape (recomputed after a restart).
    _wall: dict = field(default_factory=dict, repr=False)

    def _api_client(self, renew: bool = False):
        if self._client is None or renew:
            # The token first: an unreachable API fails fast, before the client's heavy import.
            token = fetch_token(self.settings, self.timeout)
            from airflow_client.client import ApiClient, Configuration

            config = Configuration(host=self.settings.airflow_api_url, access_token=token)
            self._client = ApiClient(config)
        return self._client

    def login(self) -> None:
        """Get a token now (before calls run in parallel threads)."""
        self._api_client()

    def _call(self, api_class: str, method: str, *args, **kwargs):
        """Call ``<api_class>(client).<method>(...)``; log in again once on 401."""
        kwargs.setdefault("_request_timeout", self.timeout)
        for renew in (False, True):
            client = self._api_client(renew=renew)
            from airflow_client import client as af
            from urllib3.exceptions import HTTPError as ConnectionProblem

            api = getattr(af, api_class)(client)
            try:
                return getattr(api, method)(*args, **kwargs)
            except af.UnauthorizedException:
                if renew:
                    raise AirflowApiError("the Airflow API refused the JWT twice (401)") from None
            except af.ApiException as exc:
                raise AirflowApiError(
                    f"Airflow API {method} failed: {exc.status} {exc.reason}"
                ) from exc
            except (ConnectionProblem, OSError) as exc:
                raise AirflowApiError(
                    f"Airflow API at {self.settings.airflow_api_url} unreachable: {exc}"
                ) from exc
        raise AssertionError("unreachable")

    def health(self) -> dict[str, str]:
        """Component → status (``healthy``/``unhealthy``) from ``/api/v2/monitor/health``."""
        info = self._call("MonitorApi", "get_health").to_dict()
        return {name: str((part or {}).get("status")) for name, part in info.items()}

    def dag_run_counts(self) -> dict[str, dict[str, int]]:
        """dag_id → state → number of runs (``/api/v2/dagStats``: all runs ever)."""
        stats = self._call("DagStatsApi", "get_dag_stats").dags
        return {
            d.dag_id: {str(getattr(s.state, "value", s.state)): s.count for s in d.stats}
            for d in stats
        }

    def runs(self, dag_id: str = "~", limit: int = 100, **filters) -> list[DagRun]:
        """DAG runs (``~`` = every DAG), newest first by start date unless ``order_by``."""
        filters.setdefault("order_by", ["-start_date"])
        result = self._call("DagRunApi", "get_dag_runs", dag_id, limit=limit, **filters)
        return [_dag_run(r) for r in result.dag_runs]

    def last_success(self, dag_id: str) -> DagRun | None:
        runs = self.runs(dag_id, limit=1, state=["success"], order_by=["-end_date"])
        return self.with_wall_time(runs[0]) if runs else None

    def recent_successes(self, recent: int = 25) -> list[DagRun]:
        """The ``recent`` newest successful runs of all DAGs."""
        return self.runs("~", limit=recent, state=["success"], order_by=["-end_date"])

    def last_successes(self, dag_ids, recent: list[DagRun]) -> dict[str, DagRun | None]:
        """The latest successful run of each DAG: from ``recent`` (see :meth:`recent_successes`),
        else one call per DAG that was not among them."""
        newest: dict[str, DagRun] = {}
        for run in recent:
            newest.setdefault(run.dag_id, run)
        found = {d: self.with_wall_time(newest[d]) for d in dag_ids if d in newest}
        return {d: found[d] if d in found else self.last_success(d) for d in dag_ids}

    def with_wall_time(self, run: DagRun) -> DagRun:
        """``run`` with its tasks' span (first start → last end) as its wall time."""
        from dataclasses import replace

        tis = [
            t for t in self.task_instances(run.dag_id, run.run_id) if t.start_date and t.end_date
        ]
        if not tis:
            return run
        span = max(t.end_date for t in tis) - min(t.start_date for t in tis)
        return replace(run, wall_seconds=span.total_seconds())

    def running(self) -> list[DagRun]:
        return self.runs("~", limit=100, state=["running"])

    def finished_runs(self, dag_id: str, limit: int) -> list[DagRun]:
        """The ``limit`` most recently finished runs (success or failed), newest first, with
        their wall times."""
        runs = self.runs(dag_id, limit=limit, state=list(TERMINAL_STATES), order_by=["-end_date"])
        return [self.with_wall_time(r) for r in runs]

    def task_instances(self, dag_id: str, run_id: str) -> list[TaskInstance]:
        result = self._call("TaskInstanceApi", "get_task_instances", dag_id, run_id, limit=1000)
        return [_task_instance(ti) for ti in result.task_instances]
