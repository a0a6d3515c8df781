"""Running the consumer locally: the function, its mappings and the poller, wired together."""

from __future__ import annotations

from dataflow.settings import Settings
from dataflow.streaming.consumer import ConsumeReport, LocalEventSourceMapping


def local_mapping(settings: Settings, on_progress=None) -> LocalEventSourceMapping:
    """The local event source mapping of every mapping in the template, with the function."""
    import os

    from dataflow.runtime.env import aws_env
    from dataflow.streaming.function import load_function
    from dataflow.streaming.mapping import mapping_configs

    os.environ.update(aws_env(settings))  # the handler's boto3 clients read these
    return LocalEventSourceMapping(
        settings, load_function(settings), mapping_configs(settings), on_progress=on_progress
    )


def consume(
    settings: Settings, follow: bool = False, max_seconds: float | None = None, progress=False
) -> ConsumeReport:
    """Process the streams until drained (or, with ``follow``, until SIGTERM/SIGINT)."""
    from tqdm import tqdm

    with tqdm(unit="rec", desc="consumed", disable=not progress) as bar:
        mapping = local_mapping(settings, on_progress=bar.update)
        mapping.install_signal_handlers()
        return mapping.run(follow=follow, max_seconds=max_seconds)
