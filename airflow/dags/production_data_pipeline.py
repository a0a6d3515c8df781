"""
### production_data_pipeline

Hourly batch pipeline of DataFlow: files that landed in S3 become validated, modelled marts.

Each run handles one **data interval** `[start, end)` of one hour: the files under
`s3://<landing bucket>/landing/<source>/<YYYY-MM-DD>/<HH>/` for the interval's start hour.
Rerunning a run (Clear in the UI) reloads its files, and loading a file replaces exactly the
rows that came from that file, whichever run or interval loaded it before — it is idempotent.

**`data_ingestion`** — one task per source (customers, products, transactions, events):
streams the files into `raw.<source>` with Postgres `COPY`, one transaction per source and
run. Malformed rows go to `audit.quarantine` with file, line and reason; every file writes an
`audit.load_audit` row (received = loaded + quarantined); markers such as `_SUCCESS` and
temporary files are skipped with a reason. A header that breaks the contract, or a file that
cannot be read (corrupt gzip), fails the task at once, naming the file.

**`quality_validation`** — one Great Expectations suite per source on the interval's rows
(`great_expectations/suites/`); results go to `audit.validation_results`. A failed
**critical** expectation fails `enforce_critical_expectations`, so transformations never run
on bad data; **warnings** are recorded and the run goes on. `publish_data_docs` builds the GX
Data Docs beside the group: it is retried on its own, and a failure shows as a failed task
(and run) but holds nothing back.

**`transformations`** — the dbt project (`dbt/`) rendered by Cosmos in watcher mode:
`dbt_producer_watcher` runs **one** `dbt build` of the whole project (`DATAFLOW_DBT_THREADS`
threads); every model has its own task (`<model>.run`) and its tests theirs (`<model>.test`),
which wait in the triggerer and turn green or red as dbt finishes that node. Logs of the
models are in the producer's log. Then dbt docs.

**Full refresh** — the run whose interval ends at `DATAFLOW_FULL_REFRESH_HOUR`:00 UTC (default
00:00, the first run after midnight) passes `--full-refresh` to dbt, rebuilding every
incremental model from all raw data as a daily safety net. Trigger a run with
`{"full_refresh": true}` for one on demand.

**Reruns** — Clear a run to rerun its interval: the loads replace that interval's rows; the
producer, on its second attempt, skips, and each model task reruns its own model
(`dbt run --select <model>`, then its tests) — the same result, several times slower than
a first attempt. Clearing one failed model task reruns just that model.

**`monitoring`** — `update_monitoring_metrics` records the run's rows and wall time per stage
(`audit.pipeline_stage_metrics`) for the metrics exporter; dashboards, alerts and their
runbooks: `monitoring/README.md`.

**Where results are** (served by this Airflow; also under *Browse* in the menu)
- [GX Data Docs](/dataflow/data-docs/index.html): every validation run with its failed
  expectations; copy in `s3://dataflow-docs/data_docs/`.
- [dbt docs](/cosmos/dataflow/dbt_docs_index.html): models, columns, tests and lineage; copy
  in `s3://dataflow-docs/dbt_docs/index.html`.
- Audit tables in the warehouse: `audit.load_audit`, `audit.quarantine`, `audit.validation_results`.

Runbook: `docs/runbook.md`.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from airflow.sdk import Param, chain, dag

from dataflow.pipeline.dbt import DAG_MACROS
from dataflow.pipeline.groups import PRODUCTION_PIPELINE_GROUPS
from dataflow.pipeline.schedules import hourly_intervals
from dataflow.settings import get_settings

DEFAULT_ARGS = {
    "owner": "data-platform",
    "retries": 2,
    "retry_delay": timedelta(minutes=1),
    "retry_exponential_backoff": True,
    "max_retry_delay": timedelta(minutes=15),
}


@dag(
    dag_id="production_data_pipeline",
    # "@hourly" with data intervals [t, t+1h) (a plain "@hourly" string would give a
    # zero-width CronTriggerTimetable interval in Airflow 3); on demand locally.
    schedule=hourly_intervals(get_settings()),
    start_date=datetime(2026, 1, 1),
    catchup=False,
    max_active_runs=1,
    default_args=DEFAULT_ARGS,
    dagrun_timeout=timedelta(hours=3),
    tags=["dataflow", "batch", "production"],
    doc_md=__doc__,
    params={
        "full_refresh": Param(
            False,
            type="boolean",
            description="rebuild every incremental dbt model from all raw data",
        )
    },
    user_defined_macros=DAG_MACROS,
)
def production_data_pipeline():
    chain(*(build_group() for build_group in PRODUCTION_PIPELINE_GROUPS))


production_data_pipeline()
