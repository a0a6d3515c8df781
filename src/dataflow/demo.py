"""``dataflow demo``: the platform end to end on the embedded local runtime.

The demo is a list of steps (:data:`DEMO_STEPS`), run in order on one :class:`DemoContext`:
start the services (Postgres, moto, and Airflow's api-server, scheduler, dag-processor and
triggerer), generate landing data, run ``production_data_pipeline`` *through the scheduler*
as a backfill of the landed hours (so the runs show in the web UI with their real start
times and durations), and print a summary.

Adding a step is one line: a ``DemoStep(title, function)`` in :data:`DEMO_STEPS`, where the
function lives in its own module, takes the :class:`DemoContext` and raises
:class:`DemoStepFailed` (with a message saying what to look at) to stop the demo.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from dataflow.settings import Settings, redact

DAG_ID = "production_data_pipeline"


class DemoStepFailed(RuntimeError):
    """A demo step could not complete; the message tells the operator where to look."""


@dataclass
class DemoContext:
    """What the steps share: inputs, and what earlier steps produced."""

    settings: Settings
    config: Any  # dataflow.generate.GenerationConfig
    progress: bool = True
    landing: Any = None  # the GenerationManifest of the generate step
    runs: list = field(default_factory=list)  # dataflow.runtime.dagruns.RunOutcome, in order


@dataclass(frozen=True)
class DemoStep:
    title: str
    run: Callable[[DemoContext], None]


def step(message: str) -> None:
    print(f"\n==> {message}", flush=True)


def start_services(ctx: DemoContext) -> None:
    """Postgres, moto, the DAG's dbt manifest and the four Airflow services (idempotent)."""
    from dataflow.runtime import ensure_data_services
    from dataflow.runtime.airflow import start_airflow
    from dataflow.runtime.env import apply_service_env
    from dataflow.transform import build_manifest

    settings = ctx.settings
    apply_service_env(settings)
    ensure_data_services(settings)
    print(f"    Postgres {redact(settings.warehouse_url)}, AWS {settings.aws_endpoint_url}")
    build_manifest(settings)
    print(f"    dbt manifest for Cosmos: {settings.dbt_manifest_path}")
    print("    Airflow (the first start migrates its metadata DB, ~1 min) …", flush=True)
    started = start_airflow(settings)
    print(f"    Airflow {', '.join(started) or 'already running'} at {settings.airflow_url}")


def generate_data(ctx: DemoContext) -> None:
    """Deterministic source data with defects into the landing bucket."""
    from dataflow.generate import generate_landing_data

    ctx.landing = generate_landing_data(ctx.settings, ctx.config, progress=ctx.progress)


def _print_run(outcome) -> None:
    took = f"{outcome.seconds:.0f}s" if outcome.seconds is not None else "?"
    print(
        f"    interval {outcome.interval_start:%Y-%m-%d %H:00} → {outcome.interval_end:%H:00} "
        f"UTC  {outcome.state} in {took}  ({outcome.run_type} run {outcome.run_id})",
        flush=True,
    )
    if not outcome.ok:
        print(outcome.failure_report(), flush=True)


def run_pipeline(ctx: DemoContext) -> None:
    """A backfill of the landed hours through the scheduler, one run after the other."""
    from dataflow.runtime.dagruns import DagRunError, run_intervals

    hours = ctx.landing.hours
    print(f"    {len(hours)} hourly runs, replacing the demo's earlier runs of these hours")
    try:
        ctx.runs = run_intervals(ctx.settings, DAG_ID, hours, on_finished=_print_run, fresh=True)
    except DagRunError as exc:
        raise DemoStepFailed(str(exc)) from exc
    if not all(run.ok for run in ctx.runs):
        raise DemoStepFailed("a pipeline run failed; the task logs above say why")


def run_streaming(ctx: DemoContext) -> None:
    """Events → Kinesis → consumer Lambda → lake → ``raw.events`` (the micro-batch DAG)."""
    from dataflow.streaming.demo import run_streaming_demo

    result = run_streaming_demo(ctx.settings)
    if result.error is not None:
        raise DemoStepFailed(f"streaming: {result.error} (see {ctx.settings.run_dir}/demo/)")


def run_monitoring(ctx: DemoContext) -> None:
    """Prometheus, Alertmanager and the exporters up; one ``monitoring_and_alerting`` run."""
    from dataflow.monitoring.report import run_monitoring_step

    if not run_monitoring_step(ctx.settings):
        raise DemoStepFailed("monitoring_and_alerting did not succeed; its task logs say why")


def show_summary(ctx: DemoContext) -> None:
    """The operator summary, the story the marts recovered, and what monitoring sees."""
    from dataflow.monitoring.report import print_monitoring_summary
    from dataflow.story import print_story
    from dataflow.summary import print_summary

    outcomes = [(f"{r.interval_start:%Y-%m-%d %H:00}", r.ok, r.seconds or 0.0) for r in ctx.runs]
    print_summary(ctx.settings, outcomes, run_ids=[r.run_id for r in ctx.runs])
    print_story(ctx.settings, ctx.landing)
    print_monitoring_summary(ctx.settings)


DEMO_STEPS: tuple[DemoStep, ...] = (
    DemoStep("Local services: Postgres, AWS endpoint (moto), Airflow", start_services),
    DemoStep("Synthetic source data into the landing bucket", generate_data),
    DemoStep(f"{DAG_ID} through the Airflow scheduler (backfill)", run_pipeline),
    DemoStep("Streaming: Kinesis → consumer Lambda → lake → raw.events", run_streaming),
    DemoStep("Monitoring: Prometheus, Alertmanager, monitoring_and_alerting", run_monitoring),
    DemoStep("Summary", show_summary),
)


def run_demo(settings: Settings, config, progress: bool = True) -> int:
    """Run :data:`DEMO_STEPS` in order; returns the process exit code."""
    ctx = DemoContext(settings=settings, config=config, progress=progress)
    for demo_step in DEMO_STEPS:
        step(demo_step.title)
        try:
            demo_step.run(ctx)
        except DemoStepFailed as exc:
            print(f"\nDemo stopped at '{demo_step.title}': {exc}", flush=True)
            return 1
    return 0
