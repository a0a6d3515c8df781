"""The operator's day in the Airflow 3 web UI, in a real browser (Debian's Chromium, driven by
playwright; never a downloaded browser).

``dataflow up`` in the test runtime, log in as admin, open production_data_pipeline and see its
task groups and Cosmos model tasks, trigger a run from the UI, watch it succeed, open a task's
log, and follow the DAG docs' links to GX Data Docs and dbt docs. Every step saves a
screenshot under ``<DATAFLOW_HOME>/artefacts/webui/`` (the key ones are in docs/operators.md).

The UI's "Trigger" creates a manual run with logical date *now*; with
``CronDataIntervalTimetable("@hourly")`` its data interval is the last complete hour,
``[floor(now) - 1h, floor(now))`` (``infer_manual_data_interval``), so small data is generated
for that hour first.
"""

from __future__ import annotations

import json
import os
import time
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e
DAG_ID = "production_data_pipeline"
RUN_TIMEOUT_S = 3600  # measured: 48 min at load average ~20 on 2 cores (a quiet one: minutes)
SERVICE_OVERRIDES = {
    # Clock-driven scheduling off, so that unpausing the DAG from the UI does not also
    # schedule the same hour; manual runs from the UI still run.
    "AIRFLOW__SCHEDULER__USE_JOB_SCHEDULE": "False",
    # Each task process parses the DAG first (Cosmos reads the manifest); on a loaded 2-core
    # machine that exceeded the default 30 s and tasks were rescheduled, then failed.
    "AIRFLOW__CORE__DAGBAG_IMPORT_TIMEOUT": "120",
}
BROWSER_ARGS = [
    "--no-sandbox",  # the tests run as root in CI containers
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


# --- the runtime -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def airflow_up(settings, dbt_manifest):
    """``dataflow up``: Airflow services of the test runtime, stopped again if started here.

    See SERVICE_OVERRIDES for the two settings that differ from ``make up``.
    """
    from dataflow.runtime.airflow import start_airflow, stop_airflow

    previous = {name: os.environ.get(name) for name in SERVICE_OVERRIDES}
    os.environ.update(SERVICE_OVERRIDES)
    started = start_airflow(settings)
    yield started
    _api(settings, "PATCH", f"/dags/{DAG_ID}", {"is_paused": True})
    if started:
        stop_airflow(settings)
    for name, value in previous.items():
        if value is None:
            os.environ.pop(name)
        else:
            os.environ[name] = value


def _token(settings) -> str:
    from dataflow.runtime.airflow import ADMIN_USER, ensure_admin_password

    body = json.dumps({"username": ADMIN_USER, "password": ensure_admin_password(settings)})
    request = urllib.request.Request(
        f"{settings.airflow_url}/auth/token",
        data=body.encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request) as response:
        return json.load(response)["access_token"]


def _api(settings, method: str, path: str, body: dict | None = None) -> dict:
    """One call of Airflow's REST API (``/api/v2``) as admin."""
    request = urllib.request.Request(
        f"{settings.airflow_url}/api/v2{path}",
        data=json.dumps(body).encode() if body is not None else None,
        headers={"Authorization": f"Bearer {_token(settings)}", "Content-Type": "application/json"},
        method=method,
    )
    with urllib.request.urlopen(request) as response:
        return json.load(response)


def _manual_runs(settings) -> list[dict]:
    runs = _api(settings, "GET", f"/dags/{DAG_ID}/dagRuns?run_type=manual&limit=100")
    return runs["dag_runs"]


@pytest.fixture(scope="module")
def ui_interval(settings, airflow_up):
    """The hour a UI trigger will process, with small generated data landed for it.

    Close to the top of the hour it waits for the next one, so the trigger infers the
    same interval.
    """
    import psycopg

    from dataflow.aws import s3_client
    from dataflow.generate import GenerationConfig, generate_landing_data

    now = datetime.now(UTC)
    if now.minute >= 55:
        time.sleep(3600 - now.minute * 60 - now.second + 5)
        now = datetime.now(UTC)
    end = now.replace(minute=0, second=0, microsecond=0)
    start = end - timedelta(hours=1)
    with psycopg.connect(settings.warehouse_url, autocommit=True) as conn:
        conn.execute(
            "truncate raw.customers, raw.products, raw.transactions, raw.events, "
            "audit.load_audit, audit.quarantine, audit.validation_results"
        )
        for schema in ("staging", "intermediate", "marts", "snapshots"):
            conn.execute(f"drop schema if exists {schema} cascade")
            conn.execute(f"create schema {schema}")
    config = GenerationConfig.for_scale("small", anchor=start, increment_hours=0)
    manifest = generate_landing_data(settings, config, progress=False)
    yield start, end, manifest
    s3 = s3_client(settings)
    for key in [f.key for f in manifest.files] + [manifest.manifest_key]:
        s3.delete_object(Bucket=settings.landing_bucket, Key=key)


# --- the browser -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def shots(settings) -> Path:
    """Where the screenshots go (a test artefact; CI uploads the folder)."""
    folder = settings.home / "artefacts" / "webui"
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("*.png"):
        old.unlink()
    return folder


@pytest.fixture(scope="module")
def browser(settings, tmp_path_factory):
    """Debian's Chromium, headless, with a fresh profile."""
    from playwright.sync_api import sync_playwright

    if not Path(settings.browser_path).is_file():
        pytest.fail(
            f"no Chromium at {settings.browser_path}: run scripts/ensure-system-packages "
            "(make test does) or point DATAFLOW_BROWSER at one"
        )
    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(tmp_path_factory.mktemp("chromium-profile")),
            executable_path=settings.browser_path,
            headless=True,
            args=BROWSER_ARGS,
            viewport={"width": 1440, "height": 900},
        )
        context.set_default_timeout(60_000)
        yield context
        context.close()


@pytest.fixture(scope="module")
def page(settings, airflow_up, browser):
    """One tab for the whole visit, logged in by the first test."""
    return browser.pages[0] if browser.pages else browser.new_page()


@pytest.fixture(scope="module")
def logged_in(settings, page, shots):
    from dataflow.runtime.airflow import ADMIN_USER, ensure_admin_password

    page.goto(settings.airflow_url + "/")
    page.get_by_label("Username").fill(ADMIN_USER)
    page.get_by_label("Password").fill(ensure_admin_password(settings))
    page.screenshot(path=shots / "01_login.png")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(settings.airflow_url + "/")
    return page


def _open_dag(settings, page):
    page.goto(f"{settings.airflow_url}/dags/{DAG_ID}")
    page.get_by_role("button", name="Trigger Dag").wait_for()


@pytest.fixture(scope="module")
def ui_run(settings, logged_in, ui_interval, shots) -> dict:
    """A run triggered with the UI's Trigger button, followed until it ends."""
    page = logged_in
    _fail_leftover_runs(settings)
    before = {r["dag_run_id"] for r in _manual_runs(settings)}
    _open_dag(settings, page)
    page.get_by_role("button", name="Trigger Dag").click()
    dialog = page.get_by_role("dialog")
    # The dialog offers "Unpause ... on trigger" only while the DAG is paused (an earlier
    # module's runs may have unpaused it; locally that starts no runs on the clock).
    dialog.get_by_role("button", name="Trigger", exact=True).wait_for()
    page.screenshot(path=shots / "04_trigger.png")
    dialog.get_by_role("button", name="Trigger", exact=True).click()
    page.get_by_text("Dag run has been successfully triggered").first.wait_for()
    run = _wait_for_new_run(settings, before)
    deadline = time.monotonic() + RUN_TIMEOUT_S
    while run["state"] not in ("success", "failed") and time.monotonic() < deadline:
        time.sleep(5)
        run = _api(settings, "GET", f"/dags/{DAG_ID}/dagRuns/{run['dag_run_id']}")
    return run


def _fail_leftover_runs(settings) -> None:
    """An interrupted earlier session may leave a run active; max_active_runs=1 would queue
    the UI's run behind it forever (its DAG was paused on the way out)."""
    for state in ("running", "queued"):
        path = f"/dags/{DAG_ID}/dagRuns?state={state}"
        for run in _api(settings, "GET", path)["dag_runs"]:
            _api(settings, "PATCH", f"/dags/{DAG_ID}/dagRuns/{run['dag_run_id']}",
                 {"state": "failed"})  # fmt: skip


def _wait_for_new_run(settings, before: set[str]) -> dict:
    for _ in range(60):
        new = [r for r in _manual_runs(settings) if r["dag_run_id"] not in before]
        if new:
            return new[0]
        time.sleep(1)
    raise AssertionError("the UI said the run was triggered, but the API lists no new run")


# --- the visit -------------------------------------------------------------------------


def test_admin_logs_in_with_the_generated_password(settings, logged_in, shots):
    logged_in.get_by_role("link", name="Dags").wait_for()
    logged_in.screenshot(path=shots / "02_home.png")

    assert logged_in.url == settings.airflow_url + "/"


def test_dag_page_shows_the_task_groups_and_the_cosmos_model_tasks(settings, logged_in, shots):
    page = logged_in
    _open_dag(settings, page)
    page.get_by_role("button", name="Show Grid (Press g)").click()
    page.get_by_role("button", name="Expand all task groups").click()
    page.get_by_text("stg_raw__customers", exact=True).wait_for()
    page.set_viewport_size({"width": 1440, "height": 1500})  # the grid renders what is seen
    page.screenshot(path=shots / "03_dag_tasks.png")

    seen = {text.strip() for text in page.locator("body").inner_text().splitlines()}
    page.set_viewport_size({"width": 1440, "height": 900})
    assert {"data_ingestion", "quality_validation", "transformations", "dbt"} <= seen
    assert {"load_transactions", "validate_transactions", "enforce_critical_expectations"} <= seen
    assert {"stg_raw__transactions", "int_transactions_enriched", "product_affinity"} <= seen
    assert {"run", "test"} <= seen, "Cosmos renders a run and a test task per model"


def test_a_run_triggered_from_the_ui_succeeds_for_the_last_complete_hour(
    settings, logged_in, ui_run, ui_interval, shots
):
    page = logged_in
    run_page = f"{settings.airflow_url}/dags/{DAG_ID}/runs/{ui_run['dag_run_id']}"
    page.goto(run_page)
    page.get_by_text(ui_run["dag_run_id"]).first.wait_for()
    page.screenshot(path=shots / "05_run.png")
    start, end, _ = ui_interval

    assert ui_run["state"] == "success", f"the run ended {ui_run['state']}: {run_page}"
    assert datetime.fromisoformat(ui_run["data_interval_start"]) == start
    assert datetime.fromisoformat(ui_run["data_interval_end"]) == end
    assert page.get_by_text("success").count() >= 1


def test_a_task_log_shows_what_the_load_did(settings, logged_in, ui_run, ui_interval, shots):
    page = logged_in
    task = "data_ingestion.load_transactions"
    page.goto(f"{settings.airflow_url}/dags/{DAG_ID}/runs/{ui_run['dag_run_id']}/tasks/{task}")
    line = page.get_by_text("loaded transactions [").first
    line.wait_for()
    page.screenshot(path=shots / "06_task_log.png")
    landed = sum(f.rows for f in ui_interval[2].files_for("transactions"))

    assert page.get_by_text(task, exact=True).count() >= 1
    assert f"1 file(s) (0 skipped), {landed} received" in line.inner_text()


def _follow_doc_link(settings, page, name: str):
    _open_dag(settings, page)
    page.get_by_role("button", name="Dag Docs").click()
    link = page.get_by_role("dialog").get_by_role("link", name=name)
    with page.context.expect_page() as opened:
        link.click()
    docs = opened.value
    docs.wait_for_load_state()
    return docs


def test_dag_docs_link_opens_the_gx_data_docs_with_the_runs_validations(
    settings, logged_in, ui_run, ui_interval, shots
):
    docs = _follow_doc_link(settings, logged_in, "GX Data Docs")
    asset = f"transactions_{ui_interval[0]:%Y%m%dT%H%M%SZ}"  # the run's validated batch
    docs.get_by_text(asset).first.wait_for()
    docs.screenshot(path=shots / "07_gx_data_docs.png")

    assert docs.url.startswith(settings.airflow_url + "/dataflow/data-docs/")
    assert docs.locator(".ge-success-icon").count() >= 1
    assert docs.evaluate("typeof window.jQuery.fn.bootstrapTable") == "function", "local assets"
    docs.close()


def test_dag_docs_link_opens_the_dbt_docs_with_the_marts(settings, logged_in, ui_run, shots):
    docs = _follow_doc_link(settings, logged_in, "dbt docs")
    docs.get_by_text("Welcome to the auto-generated documentation").wait_for()
    docs.goto(docs.url.split("#")[0] + "#!/model/model.dataflow.customer_360")
    docs.get_by_text("lifecycle_stage").first.wait_for()  # a column: manifest + catalog loaded
    docs.screenshot(path=shots / "08_dbt_docs.png")

    assert docs.url.startswith(settings.airflow_url + "/cosmos/")
    docs.close()
