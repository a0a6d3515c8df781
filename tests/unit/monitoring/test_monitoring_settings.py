"""Monitoring settings resolve from the environment, with local defaults and overrides."""

from __future__ import annotations

from dataflow.settings import load_settings


def test_local_defaults_point_at_127_0_0_1_and_the_local_sink():
    s = load_settings({})
    assert s.exporter_url == "http://127.0.0.1:9108"
    assert s.prometheus_url == "http://127.0.0.1:9090"
    assert s.chat_url == "http://127.0.0.1:9109/hooks/chat"
    assert s.oncall_url == "http://127.0.0.1:9109/hooks/oncall"
    assert s.airflow_api_url == "http://localhost:8080"
    assert s.alerts_topic_name == "dataflow-platform-alerts"


def test_every_port_and_url_has_an_override():
    s = load_settings(
        {
            "DATAFLOW_EXPORTER_PORT": "9701",
            "DATAFLOW_PROMETHEUS_PORT": "9702",
            "DATAFLOW_ALERTMANAGER_PORT": "9703",
            "DATAFLOW_SINK_PORT": "9704",
            "DATAFLOW_AIRFLOW_PORT": "9705",
            "DATAFLOW_CHAT_WEBHOOK_URL": "https://hooks.slack.example/T/B/x",
            "DATAFLOW_ALERTMANAGER_URL": "http://alertmanager:9093",
        }
    )
    assert (s.exporter_url, s.prometheus_url) == ("http://127.0.0.1:9701", "http://127.0.0.1:9702")
    assert s.alertmanager_url == "http://alertmanager:9093"
    assert s.oncall_url == "http://127.0.0.1:9704/hooks/oncall"
    assert s.chat_url == "https://hooks.slack.example/T/B/x"
    assert s.airflow_api_url == "http://localhost:9705"
