"""``dataflow generate``: deterministic synthetic e-commerce data for the landing bucket.

A run writes a historical backfill landing at the anchor hour H0 and hourly increments at
H0+1h, H0+2h, ... under ``landing/<source>/<YYYY-MM-DD>/<HH>/``, injects a configurable share
of defective rows, and records what it injected in ``landing/_manifests/<run_name>.json``.
See ``docs/generate.md``.
"""

from __future__ import annotations

from dataflow.generate.config import GenerationConfig, InvalidGenerationConfig
from dataflow.generate.defects import DEFECT_KINDS, KINDS_BY_SOURCE
from dataflow.generate.manifest import FileEntry, GenerationManifest, manifest_key
from dataflow.generate.runner import generate_into
from dataflow.generate.sinks import MemorySink, S3Sink
from dataflow.settings import Settings


def generate_landing_data(
    settings: Settings, config: GenerationConfig, progress: bool = True
) -> GenerationManifest:
    """Generate ``config``'s files into ``settings.landing_bucket``; returns the manifest.

    ``progress`` shows a tqdm bar on stderr. The bucket must exist (the storage stack, which
    ``dataflow up`` deploys on a local endpoint, or ``dataflow infra deploy``, creates it).
    """
    sink = S3Sink(settings)
    try:
        return generate_into(sink, config, progress=progress)
    finally:
        sink.close()


__all__ = [
    "DEFECT_KINDS",
    "KINDS_BY_SOURCE",
    "FileEntry",
    "GenerationConfig",
    "GenerationManifest",
    "InvalidGenerationConfig",
    "MemorySink",
    "S3Sink",
    "generate_into",
    "generate_landing_data",
    "manifest_key",
]
