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
import re
from pathlib import Path

from dataflow.settings import Settings

DBT_DOCS_SLUG = "dataflow"
DBT_DOCS_URL = f"/cosmos/{DBT_DOCS_SLUG}/dbt_docs_index.html"
DATA_DOCS_PREFIX = "/dataflow"
DATA_DOCS_URL = f"{DATA_DOCS_PREFIX}/data-docs/index.html"
ASSETS_URL = f"{DATA_DOCS_PREFIX}/data-docs-assets"
STATIC_DIR = Path(__file__).with_name("webui_static")

# GX Data Docs pages load jQuery, Bootstrap and bootstrap-table from CDNs, which an offline
# (or locked-down) Airflow cannot reach. Served pages use these local files instead: Debian's
# libjs-jquery and libjs-bootstrap4 (scripts/system-packages.txt) and a small stand-in for
# bootstrap-table. Other CDN references (fonts, charts, logos) are dropped.
OFFLINE_ASSETS: dict[str, tuple[str, Path]] = {
    "jquery.min.js": (
        "https://code.jquery.com/jquery-",
        Path("/usr/share/javascript/jquery/jquery.min.js"),
    ),
    "bootstrap.min.css": (
        "https://maxcdn.bootstrapcdn.com/bootstrap/4",
        Path("/usr/share/javascript/bootstrap4/css/bootstrap.min.css"),
    ),
    "bootstrap.bundle.min.js": (  # Bootstrap with Popper inside
        "https://stackpath.bootstrapcdn.com/bootstrap/4",
        Path("/usr/share/javascript/bootstrap4/js/bootstrap.bundle.min.js"),
    ),
    "bootstrap-table-lite.js": (
        "https://unpkg.com/bootstrap-table@1.19.1/dist/bootstrap-table.min.js",
        STATIC_DIR / "bootstrap-table-lite.js",
    ),
}
_CDN_TAG = re.compile(
    r'<script[^>]*\bsrc="(https://[^"]*)"[^>]*>\s*</script>|<link[^>]*\bhref="(https://[^"]*)"[^>]*>'
)


def cosmos_dbt_docs_env(settings: Settings) -> dict[str, str]:
    """Airflow configuration that makes Cosmos serve the dbt docs ``publish_dbt_docs`` built."""
    projects = {
        DBT_DOCS_SLUG: {
            "dir": str(settings.dbt_docs_target_dir),
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


def offline_page(html: str) -> str:
    """A Data Docs page with its CDN scripts and styles replaced by OFFLINE_ASSETS."""

    def local(match: re.Match) -> str:
        url = match.group(1) or match.group(2)
        for name, (prefix, _) in OFFLINE_ASSETS.items():
            if url.startswith(prefix):
                if name.endswith(".css"):
                    return f'<link rel="stylesheet" href="{ASSETS_URL}/{name}">'
                return f'<script src="{ASSETS_URL}/{name}"></script>'
        return "" if "/ajax/libs/" in url or "unpkg.com" in url or "jsdelivr" in url else match[0]

    page = _CDN_TAG.sub(local, html)
    style = f'<link rel="stylesheet" href="{ASSETS_URL}/data-docs-offline.css">'
    return page.replace("</head>", f"{style}</head>", 1)


def asset_file(name: str) -> Path | None:
    """The local file behind ``ASSETS_URL/<name>``."""
    if name in OFFLINE_ASSETS:
        return OFFLINE_ASSETS[name][1]
    return STATIC_DIR / name if name == "data-docs-offline.css" else None


def create_docs_app(settings: Settings):
    """The FastAPI app serving ``settings.data_docs_dir`` under ``/data-docs/``."""
    from airflow.api_fastapi.core_api.security import requires_authenticated
    from fastapi import Depends, FastAPI, HTTPException
    from fastapi.responses import FileResponse, HTMLResponse

    app = FastAPI(title="DataFlow documentation")
    logged_in = [Depends(requires_authenticated())]

    @app.get("/data-docs/{path:path}", dependencies=logged_in)
    def data_docs(path: str):
        found = site_file(settings.data_docs_dir, path or "index.html")
        if found is None:
            raise HTTPException(
                status_code=404,
                detail=f"{path!r} is not in the GX Data Docs at {settings.data_docs_dir}; "
                "the quality_validation group builds them on every run",
            )
        if found.suffix == ".html":
            return HTMLResponse(offline_page(found.read_text(encoding="utf-8")))
        return FileResponse(found)

    @app.get("/data-docs-assets/{name}", dependencies=logged_in)
    def data_docs_asset(name: str) -> FileResponse:
        found = asset_file(name)
        if found is None or not found.is_file():
            raise HTTPException(
                status_code=404,
                detail=f"no local copy of {name!r}; run scripts/ensure-system-packages",
            )
        return FileResponse(found)

    return app
