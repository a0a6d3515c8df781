"""Watching the platform: the metrics exporter, Prometheus rules and Alertmanager, Grafana
dashboards, and the ``monitoring_and_alerting`` DAG's checks and alert state.

Module map:

- ``store``: the ``audit`` tables monitoring writes (DDL applied by the warehouse bootstrap)
- ``thresholds``: alerting thresholds from ``monitoring/thresholds.yml``
- ``facts``: SQL over the warehouse shared by the exporter and the DAG (freshness, quality, ...)
- ``airflow_api``: the Airflow REST API (``/api/v2``, JWT) through ``apache-airflow-client``
- ``collectors`` / ``exporter``: ``dataflow metrics serve`` (prometheus-client custom collectors)
- ``rules``: Prometheus alerting and recording rules as code, and ``monitoring/runbooks.md``
- ``config``: generated ``prometheus.yml`` and ``alertmanager.yml``
- ``services``: Prometheus, Alertmanager, node/postgres exporters, the exporter, the chat sink
- ``pipeline_metrics``: ``update_monitoring_metrics``, the production pipeline's last task
- ``checks`` / ``alerts``: the monitoring DAG's checks, alert state table and notifications
- ``dashboards``: Grafana dashboards and alert rules (grafana-foundation-sdk, dev only)
- ``report``: the demo step and its summary section
"""
