"""Latency percentiles count events never seen as slower than every measured one."""

from dataflow.streaming.demo import percentile


def test_nearest_rank_percentiles():
    values = [float(v) for v in range(1, 101)]

    assert (percentile(values, 50), percentile(values, 95)) == (50.0, 95.0)


def test_unseen_events_push_the_percentile_up_and_can_make_it_unknown():
    values = [1.0] * 90

    assert percentile(values, 50, missing=10) == 1.0
    assert percentile(values, 95, missing=10) is None
    assert percentile([], 50) is None
