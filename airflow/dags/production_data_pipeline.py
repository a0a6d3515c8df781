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

**`transformations`** — the dbt project (`dbt/`) rendered by Cosmos: one task per model with
its tests after it, staging → intermediate → marts (`customer_360`, `dim_customers`,
`fct_transactions`, ...), then dbt docs.

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

from airflow.sdk import CronDataIntervalTimetable, chain, dag

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
)
def production_data_pipeline():
    chain(*(build_group() for build_group in PRODUCTION_PIPELINE_GROUPS))


production_data_pipeline()
