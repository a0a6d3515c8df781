"""The monitoring DAG's alert state (``audit.alert_state``) and its notifications.

One row per condition fingerprint. A condition that becomes active opens its alert once and
notifies; while it stays active nothing is sent until the re-notify interval has passed (then
a reminder); a change of severity notifies again (escalated); when the check that covers it
runs and no longer finds it, the alert resolves with one resolution notice.

Routing by severity: critical → the SNS alerts topic (on-call) and Alertmanager's API (with
``origin="monitoring_and_alerting"``, which Alertmanager records without paging again);
warning → the chat webhook (Slack format). A notification that could not be delivered is
logged in ``audit.alert_notifications`` and retried by the next run; the task then fails so
the failure is visible.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from dataflow.monitoring.checks import CheckResult, Condition
from dataflow.monitoring.config import DAG_ORIGIN
from dataflow.settings import Settings

log = logging.getLogger(__name__)

# Alertmanager forgets an alert that is not re-posted before endsAt; the DAG runs every 15 min.
ALERTMANAGER_HOLD = timedelta(minutes=45)
_LOCK_KEY = 724910


class UndeliveredNotifications(RuntimeError):
    """Some notifications failed; they are retried by the next run (see the message)."""


@dataclass(frozen=True)
class AlertRow:
    fingerprint: str
    alertname: str
    severity: str
    labels: dict
    summary: str
    description: str
    runbook_url: str
    status: str
    opened_at: datetime
    last_notified_at: datetime | None


@dataclass
class Transition:
    kind: str  # firing | reminder | escalated | resolved
    alert: AlertRow

    def describe(self) -> str:
        labels = ", ".join(f"{k}={v}" for k, v in sorted(self.alert.labels.items()))
        return f"{self.kind}: {self.alert.alertname}{{{labels}}} ({self.alert.severity})"


@dataclass
class AlertRun:
    transitions: list[Transition] = field(default_factory=list)
    open_alerts: int = 0
    undelivered: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        return {
            "transitions": [t.describe() for t in self.transitions],
            "open_alerts": self.open_alerts,
            "undelivered": self.undelivered,
        }


def runbook_for(alertname: str) -> str:
    from dataflow.monitoring.rules import runbook_url
    from dataflow.monitoring.thresholds import load_thresholds

    return runbook_url(load_thresholds(), alertname)


# --- state -------------------------------------------------------------------------------------
_COLUMNS = (
    "fingerprint, alertname, severity, labels, summary, description, runbook_url, status, "
    "opened_at, last_notified_at"
)


def load_state(conn) -> dict[str, AlertRow]:
    rows = conn.execute(f"select {_COLUMNS} from audit.alert_state for update").fetchall()
    return {r[0]: AlertRow(*r) for r in rows}


def _row_for(condition: Condition, opened_at: datetime) -> AlertRow:
    return AlertRow(
        fingerprint=condition.fingerprint,
        alertname=condition.alertname,
        severity=condition.severity,
        labels=condition.labels,
        summary=condition.summary,
        description=condition.description,
        runbook_url=runbook_for(condition.alertname),
        status="firing",
        opened_at=opened_at,
        last_notified_at=None,
    )


def save_row(conn, row: AlertRow, now: datetime, notified: bool) -> None:
    conn.execute(
        """
        insert into audit.alert_state (fingerprint, alertname, severity, labels, summary,
            description, runbook_url, status, opened_at, last_seen_at, last_notified_at,
            resolved_at, notifications)
        values (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)
        on conflict (fingerprint) do update set
            severity = excluded.severity, labels = excluded.labels, summary = excluded.summary,
            description = excluded.description, runbook_url = excluded.runbook_url,
            status = excluded.status, opened_at = excluded.opened_at,
            last_seen_at = excluded.last_seen_at,
            last_notified_at = coalesce(excluded.last_notified_at, alert_state.last_notified_at),
            resolved_at = excluded.resolved_at,
            notifications = alert_state.notifications + excluded.notifications
        """,
        (
            row.fingerprint,
            row.alertname,
            row.severity,
            json.dumps(row.labels),
            row.summary,
            row.description,
            row.runbook_url,
            row.status,
            row.opened_at,
            now,
            now if notified else None,
            now if row.status == "resolved" else None,
            1 if notified else 0,
        ),
    )


def log_notification(conn, t: Transition, channel: str, delivered: bool, detail: str) -> None:
    conn.execute(
        "insert into audit.alert_notifications (fingerprint, alertname, kind, severity, "
        "channel, delivered, detail) values (%s, %s, %s, %s, %s, %s, %s)",
        (
            t.alert.fingerprint,
            t.alert.alertname,
            t.kind,
            t.alert.severity,
            channel,
            delivered,
            detail[:2000],
        ),
    )


# --- deciding ----------------------------------------------------------------------------------
def plan_transitions(
    state: dict[str, AlertRow],
    results: list[CheckResult],
    now: datetime,
    renotify: timedelta,
) -> tuple[list[Transition], list[AlertRow]]:
    """What to notify, and every row to save (firing ones with fresh text, resolved ones)."""
    active = {c.fingerprint: c for r in results for c in r.active}
    covered = {name for r in results for name in r.covers}
    transitions, rows = [], []
    for fingerprint, condition in active.items():
        old = state.get(fingerprint)
        if old is None or old.status == "resolved":
            row = _row_for(condition, now)
            transitions.append(Transition("firing", row))
        else:
            row = _row_for(condition, old.opened_at)
            row = _with_notified(row, old.last_notified_at)
            kind = _kind_for_open(old, condition, now, renotify)
            if kind:
                transitions.append(Transition(kind, row))
        rows.append(row)
    for fingerprint, old in state.items():
        if old.status == "firing" and fingerprint not in active and old.alertname in covered:
            row = _resolved(old)
            transitions.append(Transition("resolved", row))
            rows.append(row)
    return transitions, rows


def _kind_for_open(old: AlertRow, condition: Condition, now: datetime, renotify) -> str | None:
    if old.severity != condition.severity:
        return "escalated"
    if old.last_notified_at is None:
        return "firing"  # the first notification was not delivered: send it again
    if now - old.last_notified_at >= renotify:
        return "reminder"
    return None


def _with_notified(row: AlertRow, last: datetime | None) -> AlertRow:
    return AlertRow(**{**row.__dict__, "last_notified_at": last})


def _resolved(row: AlertRow) -> AlertRow:
    return AlertRow(**{**row.__dict__, "status": "resolved"})


# --- sending -----------------------------------------------------------------------------------
def message_body(t: Transition) -> dict:
    a = t.alert
    return {
        "status": t.kind,
        "alertname": a.alertname,
        "severity": a.severity,
        "labels": a.labels,
        "summary": a.summary,
        "description": a.description,
        "runbook_url": a.runbook_url,
        "fingerprint": a.fingerprint,
        "opened_at": a.opened_at.isoformat(),
        "origin": DAG_ORIGIN,
    }


def subject(t: Transition) -> str:
    labels = " ".join(str(v) for _, v in sorted(t.alert.labels.items()))
    return f"[{t.kind.upper()}] {t.alert.alertname} {labels}".strip()


def chat_text(t: Transition) -> str:
    a = t.alert
    return f"*{subject(t)}* ({a.severity})\n{a.summary}\n{a.description}\nRunbook: {a.runbook_url}"


def alertmanager_alert(row: AlertRow, now: datetime) -> dict:
    ends = now if row.status == "resolved" else now + ALERTMANAGER_HOLD
    return {
        "labels": {
            "alertname": row.alertname,
            "severity": row.severity,
            "origin": DAG_ORIGIN,
            **row.labels,
        },
        "annotations": {
            "summary": row.summary,
            "description": row.description,
            "runbook_url": row.runbook_url,
        },
        "startsAt": row.opened_at.isoformat(),
        "endsAt": ends.isoformat(),
    }


def send(settings: Settings, t: Transition) -> list[tuple[str, bool, str]]:
    """Deliver one transition on its severity's channels: (channel, delivered, detail)."""
    from dataflow.monitoring import notify

    if t.alert.severity == "critical":
        channel = "sns"
        deliver = lambda: notify.publish_to_topic(  # noqa: E731
            settings, subject(t), json.dumps(message_body(t)), t.alert.severity
        )
    else:
        channel = "chat"
        deliver = lambda: notify.post_to_chat(settings, chat_text(t))  # noqa: E731
    try:
        return [(channel, True, deliver())]
    except Exception as exc:  # noqa: BLE001 - recorded, retried by the next run
        log.error("%s notification of %s failed: %s", channel, t.describe(), exc)
        return [(channel, False, str(exc))]


def sync_alertmanager(settings: Settings, rows: list[AlertRow], now: datetime) -> str | None:
    """Post every open (and just resolved) critical alert to Alertmanager; None when it worked."""
    from dataflow.monitoring import notify

    critical = [alertmanager_alert(r, now) for r in rows if r.severity == "critical"]
    if not critical:
        return None
    try:
        notify.post_to_alertmanager(settings, critical)
    except notify.NotificationError as exc:
        log.warning("Alertmanager not updated: %s", exc)
        return str(exc)
    return None


# --- the task ----------------------------------------------------------------------------------
def process_conditions(
    settings: Settings, results: list[CheckResult], now: datetime | None = None
) -> AlertRun:
    """Apply the checks' findings to the alert state and send what is due."""
    import psycopg

    now = now or datetime.now(UTC)
    renotify = timedelta(minutes=settings.alert_renotify_minutes)
    run = AlertRun()
    with psycopg.connect(settings.warehouse_url) as conn:
        conn.execute("select pg_advisory_xact_lock(%s)", (_LOCK_KEY,))
        transitions, rows = plan_transitions(load_state(conn), results, now, renotify)
        delivered = _deliver(settings, conn, transitions, run)
        for row in rows:
            notified = delivered.get(row.fingerprint, False)
            if row.status == "resolved" and not notified:
                continue  # stays firing: the next run sends the resolution again
            save_row(conn, row, now, notified=notified)
        run.transitions = transitions
        run.open_alerts = conn.execute(
            "select count(*) from audit.alert_state where status = 'firing'"
        ).fetchone()[0]
    am_error = sync_alertmanager(settings, rows, now)
    if am_error:
        run.undelivered.append(f"alertmanager: {am_error}")
    if any(not u.startswith("alertmanager") for u in run.undelivered):
        raise UndeliveredNotifications(
            "notifications failed (retried by the next run): " + "; ".join(run.undelivered)
        )
    return run


def _deliver(settings: Settings, conn, transitions: list[Transition], run: AlertRun) -> dict:
    delivered = {}
    for t in transitions:
        outcomes = send(settings, t)
        for channel, ok, detail in outcomes:
            log_notification(conn, t, channel, ok, detail)
            if not ok:
                run.undelivered.append(f"{t.describe()} via {channel}: {detail}")
        delivered[t.alert.fingerprint] = all(ok for _, ok, _ in outcomes)
        log.info("alert %s", t.describe())
    return delivered
