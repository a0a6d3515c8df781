"""``prometheus.yml`` and ``alertmanager.yml``, generated for the local runtime or for compose.

The local runtime writes them into ``<DATAFLOW_HOME>/monitoring`` (ports from settings); the
docker-compose stack mounts the checked-in ``monitoring/prometheus/prometheus.yml`` and
``monitoring/alertmanager/alertmanager.yml``, rendered by the same functions with the compose
service names (``dataflow monitoring render``).

Routing: critical alerts go to on-call (the SNS alerts topic, natively through Alertmanager's
``sns_configs``, and the on-call webhook), warnings to the chat webhook (Slack format).
Alerts the ``monitoring_and_alerting`` DAG posts carry ``origin="monitoring_and_alerting"``:
the DAG has notified SNS/chat itself, so Alertmanager records them (UI, silences, inhibition)
without paging a second time.
"""

from __future__ import annotations

from dataclasses import dataclass

DAG_ORIGIN = "monitoring_and_alerting"
EXPORTER_JOB = "dataflow-exporter"
# Alerts a down database causes (their metrics cannot be computed or go stale meanwhile).
CAUSED_BY_DATABASE_DOWN = (
    "DataFreshnessSLABreached",
    "DataQualityDegradation",
    "CriticalExpectationsFailed",
    "QuarantineRateHigh",
    "DbtTestsFailing",
    "PipelineFailureRate",
)


# Labels that identify a condition across alert sources (Prometheus rules, the DAG).
IDENTITY_LABELS = ["alertname", "layer", "table", "suite", "dag_id"]


@dataclass(frozen=True)
class Targets:
    """host:port of each scraped service, and where rule files are."""

    exporter: str
    prometheus: str
    alertmanager: str
    node_exporter: str | None
    postgres_exporter: str | None
    rule_files: str


@dataclass(frozen=True)
class SnsTarget:
    """Alertmanager's native SNS receiver (``sns_configs``)."""

    topic_arn: str
    region: str
    api_url: str | None = None  # the endpoint override (moto); None on real AWS
    access_key: str | None = None  # None: the standard AWS credential chain
    secret_key: str | None = None


@dataclass(frozen=True)
class Receivers:
    sns: SnsTarget | None
    oncall_url: str
    chat_url: str
    group_wait: str = "30s"
    repeat_interval: str = "4h"


def prometheus_config(
    targets: Targets, scrape_interval: str = "30s", environment: str = "local"
) -> dict:
    jobs = [
        (EXPORTER_JOB, targets.exporter),
        ("prometheus", targets.prometheus),
        ("alertmanager", targets.alertmanager),
        ("node-exporter", targets.node_exporter),
        ("postgres-exporter", targets.postgres_exporter),
    ]
    return {
        "global": {
            "scrape_interval": scrape_interval,
            "evaluation_interval": scrape_interval,
            "scrape_timeout": _timeout(scrape_interval),
            "external_labels": {"environment": environment},
        },
        "rule_files": [targets.rule_files],
        "alerting": {"alertmanagers": [{"static_configs": [{"targets": [targets.alertmanager]}]}]},
        "scrape_configs": [
            {"job_name": name, "static_configs": [{"targets": [target]}]}
            for name, target in jobs
            if target
        ],
    }


def _timeout(interval: str) -> str:
    """Scrape timeout: the interval, capped at 10 s (Prometheus requires timeout ≤ interval)."""
    seconds = _seconds(interval)
    return f"{min(seconds, 10)}s"


def _seconds(duration: str) -> int:
    units = {"s": 1, "m": 60, "h": 3600}
    return int(duration[:-1]) * units[duration[-1]]


def _sns_config(sns: SnsTarget) -> dict:
    sigv4: dict = {"region": sns.region}
    if sns.access_key:
        sigv4 |= {"access_key": sns.access_key, "secret_key": sns.secret_key}
    config = {
        "topic_arn": sns.topic_arn,
        "sigv4": sigv4,
        "send_resolved": True,
        "subject": "[{{ .Status | toUpper }}] {{ .CommonLabels.alertname }}",
        "message": _MESSAGE,
        "attributes": {"severity": "{{ .CommonLabels.severity }}"},
    }
    if sns.api_url:
        config["api_url"] = sns.api_url
    return config


# One text for SNS and chat: what fired, where, and the runbook.
_MESSAGE = (
    "{{ range .Alerts }}[{{ .Status | toUpper }}] {{ .Labels.alertname }} "
    "({{ .Labels.severity }})\n{{ .Annotations.summary }}\n{{ .Annotations.description }}\n"
    "Runbook: {{ .Annotations.runbook_url }}\n\n{{ end }}"
)


def _oncall_receiver(receivers: Receivers) -> dict:
    receiver: dict = {
        "name": "oncall",
        "webhook_configs": [{"url": receivers.oncall_url, "send_resolved": True}],
    }
    if receivers.sns:
        receiver["sns_configs"] = [_sns_config(receivers.sns)]
    return receiver


def _chat_receiver(receivers: Receivers) -> dict:
    return {
        "name": "chat",
        "slack_configs": [
            {
                "api_url": receivers.chat_url,
                "channel": "#dataflow-alerts",
                "send_resolved": True,
                "title": "[{{ .Status | toUpper }}] {{ .CommonLabels.alertname }}",
                "text": _MESSAGE,
            }
        ],
    }


def _inhibit_rules() -> list[dict]:
    return [
        {
            "source_matchers": ['alertname="DatabaseConnectionFailure"'],
            "target_matchers": [f'alertname=~"{"|".join(CAUSED_BY_DATABASE_DOWN)}"'],
        },
        {
            "source_matchers": ['alertname="MetricsExporterDown"'],
            "target_matchers": ['alertname="AirflowApiUnreachable"'],
        },
        {
            # The DAG already paged for this condition: Prometheus' twin alert stays quiet.
            "source_matchers": [f'origin="{DAG_ORIGIN}"'],
            "target_matchers": [f'origin!="{DAG_ORIGIN}"'],
            "equal": IDENTITY_LABELS,
        },
        {
            "source_matchers": ['severity="critical"'],
            "target_matchers": ['severity="warning"'],
            "equal": IDENTITY_LABELS,
        },
    ]


def alertmanager_config(receivers: Receivers) -> dict:
    return {
        "global": {"resolve_timeout": "5m"},
        "route": {
            "receiver": "chat",
            "group_by": ["alertname", "component"],
            "group_wait": receivers.group_wait,
            "group_interval": "5m",
            "repeat_interval": receivers.repeat_interval,
            "routes": [
                {"matchers": [f'origin="{DAG_ORIGIN}"'], "receiver": "record-only"},
                {"matchers": ['severity="critical"'], "receiver": "oncall"},
                {"matchers": ['severity="warning"'], "receiver": "chat"},
            ],
        },
        "receivers": [
            _oncall_receiver(receivers),
            _chat_receiver(receivers),
            {"name": "record-only"},
        ],
        "inhibit_rules": _inhibit_rules(),
    }
