"""DAG runs created through the Airflow REST API and executed by the running services.

This is how the demo, the benchmarks and the end-to-end tests run the pipeline: the scheduler
(LocalExecutor), the dag-processor and the triggerer started by ``dataflow up`` execute the
runs, so they appear in the web UI as *backfill* runs with their real start times and
durations, exactly as an operator's backfill would.

A data interval is run by an Airflow backfill of the DAG's own hourly timetable (logical date
= interval start). Running an interval that already has a run *clears* that run (backfill
``reprocess_behavior="completed"``), which is what "Clear" in the UI does. The DAG is unpaused
first; locally the scheduler creates no runs on its own clock (``DATAFLOW_AUTO_SCHEDULE``),
so only the runs asked for here happen.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from dataflow.settings import Settings

FINISHED_RUN_STATES = {"success", "failed"}
OK_TASK_STATES = {"success", "skipped"}
POLL_SECONDS = 2.0


class DagRunError(RuntimeError):
    """A DAG could not be run through the API (not parsed, import error, timeout)."""


@dataclass(frozen=True)
class TaskOutcome:
    """One task instance of a finished run."""

    task_id: str
    state: str | None
    start: datetime | None
    end: datetime | None
    try_number: int
    log_path: Path

    @property
    def seconds(self) -> float | None:
        if self.start is None or self.end is None:
            return None
        return (self.end - self.start).total_seconds()


@dataclass(frozen=True)
class RunOutcome:
    """A finished (or timed-out) DAG run and its task instances."""

    dag_id: str
    run_id: str
    run_type: str
    interval_start: datetime
    interval_end: datetime
    state: str
    start: datetime | None
    end: datetime | None
    tasks: list[TaskOutcome] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.state == "success"

    @property
    def seconds(self) -> float | None:
        """Wall time of the run as the UI shows it (run start → run end)."""
        if self.start is None or self.end is None:
            return None
        return (self.end - self.start).total_seconds()

    @property
    def failed_tasks(self) -> list[TaskOutcome]:
        return [t for t in self.tasks if t.state not in OK_TASK_STATES]

    def task_states(self) -> dict[str, str | None]:
        return {t.task_id: t.state for t in self.tasks}

    def failure_report(self, limit: int = 8) -> str:
        """The tasks that did not succeed, each with the log file to read."""
        broken = [t for t in self.failed_tasks if t.state != "upstream_failed"]
        lines = [f"run {self.run_id} of {self.dag_id} ended {self.state}"]
        lines += [f"  {t.task_id}: {t.state} — log {t.log_path}" for t in broken[:limit]]
        skipped = len(self.failed_tasks) - len(broken)
        if skipped:
            lines.append(f"  (+{skipped} tasks upstream_failed)")
        return "\n".join(lines)


def task_log_path(settings: Settings, dag_id: str, run_id: str, task_id: str, try_number: int):
    """Where Airflow's default log template writes a task attempt's log."""
    return (
        settings.airflow_home
        / "logs"
        / f"dag_id={dag_id}"
        / f"run_id={run_id}"
        / f"task_id={task_id}"
        / f"attempt={max(try_number, 1)}.log"
    )


class AirflowApi:
    """The few REST API calls the runs need, authenticated as the local admin user."""

    def __init__(self, settings: Settings) -> None:
        import airflow_client.client as client

        self.settings = settings
        config = client.Configuration(host=settings.airflow_url)
        config.access_token = self._token()
        self._client = client.ApiClient(config)

    def _token(self) -> str:
        import json
        import urllib.request

        from dataflow.runtime.airflow import ADMIN_USER, ensure_admin_password

        body = {"username": ADMIN_USER, "password": ensure_admin_password(self.settings)}
        request = urllib.request.Request(
            f"{self.settings.airflow_url}/auth/token",
            data=json.dumps(body).encode(),
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.load(response)["access_token"]

    def _api(self, name: str):
        from airflow_client.client import api

        return getattr(api, name)(self._client)

    def dag(self, dag_id: str):
        """The DAG as the API knows it, or None while the dag-processor has not parsed it."""
        from airflow_client.client.exceptions import NotFoundException

        try:
            return self._api("DAGApi").get_dag(dag_id)
        except NotFoundException:
            return None

    def import_errors(self) -> list[str]:
        errors = self._api("ImportErrorApi").get_import_errors().import_errors
        return [f"{e.filename}: {e.stack_trace}" for e in errors]

    def unpause(self, dag_id: str) -> None:
        from airflow_client.client.models import DAGPatchBody

        self._api("DAGApi").patch_dag(dag_id, DAGPatchBody(is_paused=False))

    def create_backfill(self, dag_id: str, first: datetime, last: datetime) -> int:
        from airflow_client.client.models import BackfillPostBody, ReprocessBehavior

        body = BackfillPostBody(
            dag_id=dag_id,
            from_date=first,
            to_date=last,
            max_active_runs=1,
            reprocess_behavior=ReprocessBehavior.COMPLETED,
            run_on_latest_version=True,
        )
        return self._api("BackfillApi").create_backfill(body).id

    def backfill_completed(self, backfill_id: int) -> bool:
        return self._api("BackfillApi").get_backfill(backfill_id).completed_at is not None

    def active_backfills(self, dag_id: str) -> list[int]:
        response = self._api("BackfillApi").list_backfills(dag_id)
        return [b.id for b in response.backfills if b.completed_at is None]

    def runs_between(self, dag_id: str, first: datetime, last: datetime) -> list:
        """Runs whose logical date lies in ``[first, last]``, oldest first."""
        response = self._api("DagRunApi").get_dag_runs(
            dag_id, logical_date_gte=first, logical_date_lte=last, order_by=["logical_date"]
        )
        return list(response.dag_runs)

    def trigger(self, dag_id: str, logical_date: datetime, conf: dict | None = None) -> str:
        """A manual run at ``logical_date``; its run id."""
        from airflow_client.client.models import TriggerDAGRunPostBody

        body = TriggerDAGRunPostBody(logical_date=logical_date, conf=conf or {})
        return self._api("DagRunApi").trigger_dag_run(dag_id, body).dag_run_id

    def run(self, dag_id: str, run_id: str):
        return self._api("DagRunApi").get_dag_run(dag_id, run_id)

    def cancel_backfill(self, backfill_id: int) -> None:
        self._api("BackfillApi").cancel_backfill(backfill_id)

    def fail_run(self, dag_id: str, run_id: str) -> None:
        from airflow_client.client.models import DagRunMutableStates, DAGRunPatchBody

        body = DAGRunPatchBody(state=DagRunMutableStates.FAILED)
        self._api("DagRunApi").patch_dag_run(dag_id, run_id, body)

    def delete_run(self, dag_id: str, run_id: str) -> None:
        self._api("DagRunApi").delete_dag_run(dag_id, run_id)

    def task_instances(self, dag_id: str, run_id: str) -> list:
        response = self._api("TaskInstanceApi").get_task_instances(dag_id, run_id, limit=1000)
        return list(response.task_instances)


def wait_for_dag(api: AirflowApi, dag_id: str, timeout: float = 180.0) -> None:
    """Until the dag-processor has parsed ``dag_id``; a clear error with the import errors."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        dag = api.dag(dag_id)
        if dag is not None and not dag.has_import_errors:
            return
        if dag is not None:
            errors = [e for e in api.import_errors() if e.startswith(dag.fileloc)]
            raise DagRunError(f"{dag_id} has import errors:\n" + "\n".join(errors)[-3000:])
        time.sleep(POLL_SECONDS)
    log = api.settings.run_dir / "dag-processor.log"
    errors = "\n".join(api.import_errors())[-3000:] or "none reported"
    raise DagRunError(
        f"the dag-processor did not register {dag_id} within {timeout:.0f}s; see {log}. "
        f"Import errors: {errors}"
    )


def _outcome(api: AirflowApi, run) -> RunOutcome:
    settings = api.settings
    tasks = [
        TaskOutcome(
            task_id=ti.task_id,
            state=None if ti.state is None else str(ti.state.value),
            start=ti.start_date,
            end=ti.end_date,
            try_number=ti.try_number,
            log_path=task_log_path(settings, run.dag_id, run.dag_run_id, ti.task_id, ti.try_number),
        )
        for ti in api.task_instances(run.dag_id, run.dag_run_id)
    ]
    return RunOutcome(
        dag_id=run.dag_id,
        run_id=run.dag_run_id,
        run_type=str(run.run_type.value),
        interval_start=run.data_interval_start,
        interval_end=run.data_interval_end,
        state=str(run.state.value),
        start=run.start_date,
        end=run.end_date,
        tasks=tasks,
    )


def _wait_for_runs(
    api: AirflowApi,
    dag_id: str,
    hours: list[datetime],
    on_finished: Callable[[RunOutcome], None] | None,
) -> list[RunOutcome]:
    """Poll until every run of ``hours`` (logical dates) finished; in order of ``hours``."""
    deadline = time.monotonic() + api.settings.run_timeout_s * len(hours)
    finished: dict[datetime, RunOutcome] = {}
    while len(finished) < len(hours):
        if time.monotonic() > deadline:
            pending = [h.isoformat() for h in hours if h not in finished]
            raise DagRunError(
                f"{dag_id}: runs for {pending} did not finish within "
                f"{api.settings.run_timeout_s:.0f}s each (DATAFLOW_RUN_TIMEOUT); see "
                f"{api.settings.run_dir / 'scheduler.log'}"
            )
        for run in api.runs_between(dag_id, hours[0], hours[-1]):
            if run.logical_date in finished or str(run.state.value) not in FINISHED_RUN_STATES:
                continue
            outcome = _outcome(api, run)
            finished[run.logical_date] = outcome
            if on_finished:
                on_finished(outcome)
        time.sleep(POLL_SECONDS)
    return [finished[h] for h in hours]


def hours_of(interval_starts: Iterable[datetime]) -> list[datetime]:
    """Sorted, contiguous hourly logical dates; raises for gaps (one backfill = one range)."""
    hours = sorted(set(interval_starts))
    gaps = [b for a, b in zip(hours, hours[1:], strict=False) if b - a != timedelta(hours=1)]
    if not hours or gaps:
        raise ValueError(f"expected contiguous hourly interval starts, got {hours}")
    return hours


def run_intervals(
    settings: Settings,
    dag_id: str,
    interval_starts: Iterable[datetime],
    on_finished: Callable[[RunOutcome], None] | None = None,
    fresh: bool = False,
) -> list[RunOutcome]:
    """Run the hourly intervals starting at ``interval_starts`` as one backfill; wait for them.

    Runs execute one at a time, oldest first (``max_active_runs=1``). An interval that already
    has a run is cleared and rerun — unless ``fresh``, which deletes those runs first so each
    run is a first attempt (the demo and the benchmarks replace their own earlier runs).
    ``on_finished`` is called as each run finishes. Raises :class:`DagRunError` when the DAG
    does not parse or a run outlasts ``DATAFLOW_RUN_TIMEOUT``; a failed run is returned, not
    raised (see :meth:`RunOutcome.failure_report`).
    """
    hours = hours_of(interval_starts)
    api = AirflowApi(settings)
    wait_for_dag(api, dag_id)
    if fresh:
        _discard_runs(api, dag_id, hours)
    api.unpause(dag_id)
    _wait_until(lambda: not api.active_backfills(dag_id), "an earlier backfill to complete")
    backfill_id = api.create_backfill(dag_id, hours[0], hours[-1])
    outcomes = _wait_for_runs(api, dag_id, hours, on_finished)
    # The scheduler closes a backfill a loop after its last run; the next one must wait for it.
    _wait_until(lambda: api.backfill_completed(backfill_id), f"backfill {backfill_id} to close")
    return outcomes


def trigger_run(
    settings: Settings, dag_id: str, logical_date: datetime, conf: dict | None = None
) -> RunOutcome:
    """One manual run of ``dag_id`` at ``logical_date`` through the scheduler; waits for it.

    For DAGs whose run is not an hourly data interval (``monitoring_and_alerting``). Raises
    :class:`DagRunError` as :func:`run_intervals` does; a failed run is returned, not raised.
    """
    api = AirflowApi(settings)
    wait_for_dag(api, dag_id)
    api.unpause(dag_id)
    run_id = api.trigger(dag_id, logical_date, conf)
    _wait_until(
        lambda: str(api.run(dag_id, run_id).state.value) in FINISHED_RUN_STATES,
        f"run {run_id} of {dag_id} to finish",
        timeout=settings.run_timeout_s,
    )
    return _outcome(api, api.run(dag_id, run_id))


def _discard_runs(api: AirflowApi, dag_id: str, hours: list[datetime]) -> None:
    """Delete the runs of ``hours``; an unfinished earlier backfill is cancelled first, and
    its runs still active are marked failed (Airflow deletes no running run)."""
    for backfill_id in api.active_backfills(dag_id):
        api.cancel_backfill(backfill_id)
    for run in api.runs_between(dag_id, hours[0], hours[-1]):
        if str(run.state.value) not in FINISHED_RUN_STATES:
            api.fail_run(dag_id, run.dag_run_id)
        api.delete_run(dag_id, run.dag_run_id)


def _wait_until(done: Callable[[], bool], what: str, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while not done():
        if time.monotonic() > deadline:
            raise DagRunError(f"gave up waiting {timeout:.0f}s for {what}; is the scheduler up?")
        time.sleep(POLL_SECONDS)


def describe(outcome: RunOutcome) -> dict[str, Any]:
    """A JSON-friendly summary of a run (benchmarks, logs)."""
    return {
        "run_id": outcome.run_id,
        "run_type": outcome.run_type,
        "state": outcome.state,
        "interval_start": outcome.interval_start.isoformat(),
        "run_wall_s": outcome.seconds,
        "not_ok": {t.task_id: t.state for t in outcome.failed_tasks},
    }
