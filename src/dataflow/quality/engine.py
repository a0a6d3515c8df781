"""The Great Expectations side: an ephemeral context on Postgres and result conversion.

The context is ephemeral (datasources and suites live in memory, rebuilt from the YAML files
on every call) except for two folders under ``settings.home``: validation results, which the
Data Docs are rendered from, and the Data Docs site itself. Each validation writes its own
result file, so parallel per-source tasks never write the same file.

GX runs every expectation as SQL in Postgres on a query asset that selects one interval's rows
(see :meth:`SuiteSpec.interval_query`); no table is pulled into Python.
"""

from __future__ import annotations

import logging
import re
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from dataflow.quality.results import ExpectationOutcome
from dataflow.quality.suites import (
    ExpectationSpec,
    SuiteSpec,
    as_utc,
    contract_columns,
    to_gx_suite,
)
from dataflow.settings import Settings

DATASOURCE = "warehouse"
DOCS_SITE = "local_site"
# Data Docs render at most this many recent validation results (one day of hourly runs of
# four suites, ~5 s to render), so building the site stays fast however long the pipeline runs.
DOCS_VALIDATION_RESULTS_LIMIT = 96
# transaction_at may lag the interval end by this much (late-arriving files), no more.
MAX_EVENT_LAG = timedelta(days=1)


def quiet_gx_logging() -> None:
    """GX logs a line per registered metric at INFO; keep it to warnings."""
    logging.getLogger("great_expectations").setLevel(logging.WARNING)


def gx_store_dir(settings: Settings) -> Path:
    """Git-ignored folder holding GX validation results (the Data Docs' source)."""
    return settings.home / "gx"


def _filesystem_backend(root: Path, base: str) -> dict[str, Any]:
    return {
        "class_name": "TupleFilesystemStoreBackend",
        "root_directory": str(root),
        "base_directory": base,
        # The id file would be written concurrently by parallel tasks; nothing needs it.
        "suppress_store_backend_id": True,
    }


def context_config(settings: Settings):
    """``DataContextConfig``: in-memory stores except validation results; one local docs site."""
    from great_expectations.data_context.types.base import (
        DataContextConfig,
        InMemoryStoreBackendDefaults,
        ProgressBarsConfig,
    )

    stores = InMemoryStoreBackendDefaults().stores
    stores["validation_results_store"]["store_backend"] = _filesystem_backend(
        gx_store_dir(settings), "validations/"
    )
    docs_site = {
        "class_name": "SiteBuilder",
        "show_how_to_buttons": False,
        "store_backend": _filesystem_backend(settings.data_docs_dir, ""),
        "site_index_builder": {
            "class_name": "DefaultSiteIndexBuilder",
            "validation_results_limit": DOCS_VALIDATION_RESULTS_LIMIT,
        },
        "site_section_builders": {"profiling": "None"},
    }
    return DataContextConfig(
        stores=stores,
        expectations_store_name="expectations_store",
        validation_results_store_name="validation_results_store",
        checkpoint_store_name="checkpoint_store",
        data_docs_sites={DOCS_SITE: docs_site},
        analytics_enabled=False,
        progress_bars=ProgressBarsConfig(globally=False),
    )


def open_context(settings: Settings):
    """An ephemeral GX context for ``settings`` (no network: analytics are off)."""
    quiet_gx_logging()
    import great_expectations as gx

    return gx.get_context(mode="ephemeral", project_config=context_config(settings))


def add_warehouse(context, settings: Settings):
    """The Postgres datasource on the warehouse database."""
    return context.data_sources.add_postgres(
        name=DATASOURCE, connection_string=settings.warehouse_sqlalchemy_url
    )


def close_warehouse(datasource) -> None:
    """Return the datasource's pooled connections to Postgres."""
    datasource.get_engine().dispose()


def run_name(run_id: str) -> str:
    """``run_id`` made safe for file names and S3 keys of the Data Docs."""
    return re.sub(r"[^A-Za-z0-9._-]+", "_", run_id)


def suite_parameters(
    source: str, interval_start: datetime, interval_end: datetime
) -> dict[str, Any]:
    """Values of the ``$PARAMETER`` references the suite files may use."""
    return {
        "contract_columns": contract_columns(source),
        "interval_start": as_utc(interval_start).isoformat(),
        "interval_end": as_utc(interval_end).isoformat(),
        "latest_plausible_at": (as_utc(interval_end) + MAX_EVENT_LAG).isoformat(),
    }


def run_suite(
    context,
    datasource,
    spec: SuiteSpec,
    interval_start: datetime,
    interval_end: datetime,
    run_id: str,
) -> list[ExpectationOutcome]:
    """Validate one interval's rows of ``spec.table`` and convert the GX results."""
    import great_expectations as gx

    start = as_utc(interval_start)
    asset = datasource.add_query_asset(
        name=f"{spec.name}_{start:%Y%m%dT%H%M%SZ}", query=spec.interval_query(start)
    )
    batch = asset.add_batch_definition_whole_table("interval")
    suite = context.suites.add(to_gx_suite(spec))
    definition = gx.ValidationDefinition(name=asset.name, data=batch, suite=suite)
    result = context.validation_definitions.add(definition).run(
        expectation_parameters=suite_parameters(spec.name, start, interval_end),
        result_format="SUMMARY",
        run_id=gx.RunIdentifier(run_name=run_name(run_id)),
    )
    return [
        to_outcome(spec.name, item, spec.expectations[item.expectation_config.meta["index"]])
        for item in result.results
    ]


def to_outcome(suite: str, item, spec: ExpectationSpec) -> ExpectationOutcome:
    """One GX ``ExpectationValidationResult`` as an :class:`ExpectationOutcome`."""
    result = item.result or {}
    return ExpectationOutcome(
        suite=suite,
        expectation=spec.expectation,
        column=spec.column,
        severity=spec.severity,
        success=bool(item.success),
        observed_value=observed_text(result, _exception_message(item.exception_info)),
        threshold=spec.threshold,
        unexpected_count=result.get("unexpected_count"),
        element_count=result.get("element_count"),
    )


def observed_text(result: dict[str, Any], error: str | None = None) -> str:
    """What GX observed, as text: the error, the unexpected share, or the observed value."""
    if error:
        return f"error: {error}"
    if result.get("unexpected_count") is not None and result.get("element_count") is not None:
        unexpected, total = result["unexpected_count"], result["element_count"]
        share = unexpected / total if total else 0.0
        return f"{unexpected} of {total} rows unexpected ({share:.2%})"
    missing = (result.get("details") or {}).get("mismatched", {}).get("missing")
    if missing:
        return f"missing columns {sorted(missing)}"
    if "observed_value" in result:
        return str(result["observed_value"])
    return ""


def _exception_message(info: dict[str, Any] | None) -> str | None:
    """GX nests exception info per metric; return the first message raised, if any."""
    if not info:
        return None
    if info.get("raised_exception"):
        return str(info.get("exception_message") or "unknown error")
    for value in info.values():
        if isinstance(value, dict):
            message = _exception_message(value)
            if message:
                return message
    return None
