"""The alert state machine: open once, re-notify on an interval, resolve once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from dataflow.monitoring.alerts import AlertRow, plan_transitions
from dataflow.monitoring.checks import CheckResult, Condition

NOW = datetime(2026, 12, 1, 12, tzinfo=UTC)
RENOTIFY = timedelta(hours=4)
STALE = Condition(
    "DataFreshnessSLABreached",
    "critical",
    {"layer": "raw", "table": "customers"},
    "raw.customers got no new data",
    "…",
)


def freshness(*active: Condition) -> list[CheckResult]:
    return [CheckResult("monitor_data_freshness", ("DataFreshnessSLABreached",), list(active))]


def state_after(transitions_rows, notified_at):
    _, rows = transitions_rows
    return {
        r.fingerprint: AlertRow(**{**r.__dict__, "last_notified_at": notified_at}) for r in rows
    }


def kinds(plan) -> list[str]:
    return [t.kind for t in plan[0]]


def test_a_new_condition_opens_one_alert():
    assert kinds(plan_transitions({}, freshness(STALE), NOW, RENOTIFY)) == ["firing"]


def test_a_condition_still_active_on_the_next_run_sends_nothing():
    state = state_after(plan_transitions({}, freshness(STALE), NOW, RENOTIFY), NOW)
    later = NOW + timedelta(minutes=15)
    assert kinds(plan_transitions(state, freshness(STALE), later, RENOTIFY)) == []


def test_after_the_renotify_interval_a_reminder_is_sent():
    state = state_after(plan_transitions({}, freshness(STALE), NOW, RENOTIFY), NOW)
    later = NOW + RENOTIFY
    assert kinds(plan_transitions(state, freshness(STALE), later, RENOTIFY)) == ["reminder"]


def test_a_cleared_condition_resolves_once():
    state = state_after(plan_transitions({}, freshness(STALE), NOW, RENOTIFY), NOW)
    plan = plan_transitions(state, freshness(), NOW + timedelta(minutes=15), RENOTIFY)
    assert kinds(plan) == ["resolved"]
    resolved = state_after(plan, NOW)
    assert kinds(plan_transitions(resolved, freshness(), NOW + timedelta(hours=1), RENOTIFY)) == []


def test_an_alert_is_not_resolved_by_a_check_that_did_not_run():
    state = state_after(plan_transitions({}, freshness(STALE), NOW, RENOTIFY), NOW)
    only_health = [CheckResult("check_system_health", ("PlatformComponentDown",), [])]
    assert kinds(plan_transitions(state, only_health, NOW + timedelta(minutes=15), RENOTIFY)) == []


def test_a_change_of_severity_notifies_again():
    state = state_after(plan_transitions({}, freshness(STALE), NOW, RENOTIFY), NOW)
    warning = Condition(**{**STALE.__dict__, "severity": "warning"})
    later = NOW + timedelta(minutes=15)
    assert kinds(plan_transitions(state, freshness(warning), later, RENOTIFY)) == ["escalated"]


def test_an_undelivered_first_notification_is_sent_again_by_the_next_run():
    state = state_after(plan_transitions({}, freshness(STALE), NOW, RENOTIFY), None)
    later = NOW + timedelta(minutes=15)
    assert kinds(plan_transitions(state, freshness(STALE), later, RENOTIFY)) == ["firing"]


def test_a_condition_that_returns_after_resolving_opens_a_new_alert():
    opened = state_after(plan_transitions({}, freshness(STALE), NOW, RENOTIFY), NOW)
    resolved = state_after(plan_transitions(opened, freshness(), NOW, RENOTIFY), NOW)
    again = plan_transitions(resolved, freshness(STALE), NOW + timedelta(hours=2), RENOTIFY)
    assert kinds(again) == ["firing"]
    assert again[0][0].alert.opened_at == NOW + timedelta(hours=2)


def test_the_fingerprint_ignores_severity_and_wording_but_not_labels():
    other_text = Condition(**{**STALE.__dict__, "summary": "x", "severity": "warning"})
    other_table = Condition(**{**STALE.__dict__, "labels": {"layer": "raw", "table": "products"}})
    assert other_text.fingerprint == STALE.fingerprint
    assert other_table.fingerprint != STALE.fingerprint
