"""
### production_data_pipeline

Hourly batch pipeline of DataFlow: files that landed in S3 become validated, modelled marts.

Each run handles one **data interval** `[start, end)` of one hour: the files under
`s3://<landing bucket>/landing/<source>/<YYYY-MM-DD>/<HH>/` for the interval's start hour.
Rerunning a run (Clear in the UI) replaces exactly that interval's rows — it is idempotent.

**`data_ingestion`** — one task per source (customers, products, transactions, events):
streams the files into `raw.<source>` with Postgres `COPY`, one transaction per source and
interval. Malformed rows go to `audit.quarantine` with file, line and reason; every file
writes an `audit.load_audit` row (received = loaded + quarantined). A header that breaks the
contract fails the task at once, naming the file and the columns.

**`quality_validation`** — one Great Expectations suite per source on the interval's rows
(`great_expectations/suites/`); results go to `audit.validation_results`. A failed
**critical** expectation fails `enforce_critical_expectations`, so transformations never run
on bad data; **warnings** are recorded and the run goes on.

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

**Where results are**
- GX Data Docs: `.dataflow/data_docs/index.html` locally, `s3://dataflow-docs/data_docs/` in S3.
- dbt docs: `.dataflow/dbt/docs/index.html` locally, `s3://dataflow-docs/dbt_docs/index.html` in S3.
- Audit tables in the warehouse: `audit.load_audit`, `audit.quarantine`, `audit.validation_results`.

Runbook: `docs/runbook.md`.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from airflow.sdk import CronDataIntervalTimetable, Param, chain, dag

from dataflow.pipeline.dbt import DAG_MACROS
from dataflow.pipeline.groups import PRODUCTION_PIPELINE_GROUPS

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
    # zero-width CronTriggerTimetable interval in Airflow 3).
    schedule=CronDataIntervalTimetable("@hourly", timezone="UTC"),
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
