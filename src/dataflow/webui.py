"""The documentation an operator opens from the Airflow web UI: GX Data Docs and dbt docs.

Both are served by the Airflow api-server itself, so they open wherever the UI opens:

- **dbt docs** through Cosmos's own Airflow 3 plugin (``cosmos.plugin.airflow3``), configured
  by :func:`cosmos_dbt_docs_env` (``[cosmos] dbt_docs_projects``): ``DBT_DOCS_URL``, and
  "dbt docs" in the UI's *Browse* menu.
- **GX Data Docs** through the plugin ``airflow/plugins/dataflow_docs.py``: the FastAPI app
  of :func:`create_docs_app`, mounted at ``/dataflow``, serves the locally built site
  (``Settings.data_docs_dir``) to logged-in users only (the UI's ``_token`` cookie), and
  "GX Data Docs" in *Browse* shows it inside the UI.

The DAG's docs link to both URLs. This module imports no Airflow at import time:
:mod:`dataflow.runtime.env` reads :func:`cosmos_dbt_docs_env` before Airflow is configured.
"""

from __future__ import annotations

import json
from pathlib import Path

from dataflow.settings import Settings

DBT_DOCS_SLUG = "dataflow"
DBT_DOCS_URL = f"/cosmos/{DBT_DOCS_SLUG}/dbt_docs_index.html"
DATA_DOCS_PREFIX = "/dataflow"
DATA_DOCS_URL = f"{DATA_DOCS_PREFIX}/data-docs/index.html"


def cosmos_dbt_docs_env(settings: Settings) -> dict[str, str]:
    """Airflow configuration that makes Cosmos serve the dbt docs ``publish_dbt_docs`` built."""
    projects = {
        DBT_DOCS_SLUG: {
            "dir": str(settings.dbt_target_dir),
            "index": "index.html",
            "name": "dbt docs",
        }
    }
    return {"AIRFLOW__COSMOS__DBT_DOCS_PROJECTS": json.dumps(projects)}


def site_file(root: Path, path: str) -> Path | None:
    """The file ``path`` names inside ``root`` (``index.html`` for a folder), or None when it
    is missing or would escape ``root``."""
    base = root.resolve()
    target = (base / path).resolve()
    if target.is_dir():
        target = target / "index.html"
    if not target.is_relative_to(base) or not target.is_file():
        return None
    return target


def create_docs_app(settings: Settings):
    """The FastAPI app serving ``settings.data_docs_dir`` under ``/data-docs/``."""
    from airflow.api_fastapi.core_api.security import requires_authenticated
    from fastapi import Depends, FastAPI, HTTPException
    from fastapi.responses import FileResponse

    app = FastAPI(title="DataFlow documentation")

    @app.get("/data-docs/{path:path}", dependencies=[Depends(requires_authenticated())])
    def data_docs(path: str) -> FileResponse:
        found = site_file(settings.data_docs_dir, path or "index.html")
        if found is None:
            raise HTTPException(
                status_code=404,
                detail=f"{path!r} is not in the GX Data Docs at {settings.data_docs_dir}; "
                "the quality_validation group builds them on every run",
            )
        return FileResponse(found)

    return app
