"""Airflow plugin: GX Data Docs inside the Airflow 3 web UI (the logic is in dataflow.webui).

Browse → "GX Data Docs" shows the site inside the UI; ``/dataflow/data-docs/index.html`` is
the direct URL the DAG's docs link to. dbt docs come from Cosmos's own plugin
(``[cosmos] dbt_docs_projects``, set by ``dataflow.runtime.env``).
"""

from __future__ import annotations

from airflow.plugins_manager import AirflowPlugin

from dataflow.webui import DATA_DOCS_PREFIX, DATA_DOCS_URL


class DataflowDocsPlugin(AirflowPlugin):
    name = "dataflow_docs"
    external_views = [
        {
            "name": "GX Data Docs",
            "href": DATA_DOCS_URL,
            "category": "Browse",
            "url_route": "gx-data-docs",
        }
    ]

    def __init__(self) -> None:
        super().__init__()
        # Built when Airflow loads the plugin (every component does), not at import.
        from dataflow.settings import get_settings
        from dataflow.webui import create_docs_app

        self.fastapi_apps = [
            {
                "name": "dataflow_docs",
                "app": create_docs_app(get_settings()),
                "url_prefix": DATA_DOCS_PREFIX,
            }
        ]
