"""`dataflow demo` runs its steps in order and stops, with a message, at the first failure."""

from __future__ import annotations

from dataflow import demo
from dataflow.settings import load_settings


def test_steps_run_in_order_and_a_failed_step_stops_the_demo(monkeypatch, capsys):
    ran = []

    def ok(ctx):
        ran.append("ok")

    def broken(ctx):
        ran.append("broken")
        raise demo.DemoStepFailed("see /logs/x.log")

    def never(ctx):
        ran.append("never")

    steps = (demo.DemoStep("one", ok), demo.DemoStep("two", broken), demo.DemoStep("3", never))
    monkeypatch.setattr(demo, "DEMO_STEPS", steps)

    code = demo.run_demo(load_settings({}), config=None, progress=False)

    assert code == 1
    assert ran == ["ok", "broken"]
    assert "Demo stopped at 'two': see /logs/x.log" in capsys.readouterr().out
