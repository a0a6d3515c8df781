"""GX Data Docs: render the local site, then publish it to ``s3://<docs bucket>/data_docs/``.

The site is built locally by GX and uploaded with boto3 (the endpoint override of
:mod:`dataflow.aws` applies), which behaves the same on moto and on real S3.
"""

from __future__ import annotations

import logging
import mimetypes
import time
from pathlib import Path
from typing import Any

from dataflow.settings import Settings

log = logging.getLogger(__name__)

DOCS_PREFIX = "data_docs/"


def docs_s3_uri(settings: Settings) -> str:
    return f"s3://{settings.docs_bucket}/{DOCS_PREFIX}index.html"


def build_data_docs(settings: Settings) -> dict[str, Any]:
    """Render the Data Docs site locally and upload the changed files to the docs bucket.

    Returns ``{"local": <index.html path>, "s3_uri": ..., "uploaded": <file count>}``.
    """
    from dataflow.quality.engine import DOCS_SITE, open_context

    started = time.time()
    context = _context_with_suites(settings, open_context(settings))
    context.build_data_docs(site_names=[DOCS_SITE])
    index = settings.data_docs_dir / "index.html"
    if not index.is_file():
        raise FileNotFoundError(f"GX did not write {index}; check the great_expectations logs")
    uploaded = upload_site(settings, settings.data_docs_dir, modified_since=started - 1)
    log.info("data docs: %s (%d files uploaded to %s)", index, uploaded, docs_s3_uri(settings))
    return {"local": str(index), "s3_uri": docs_s3_uri(settings), "uploaded": uploaded}


def _context_with_suites(settings: Settings, context):
    """Register every checked-in suite so the site also shows the expectation pages."""
    from dataflow.quality.suites import available_suites, load_suite, to_gx_suite

    for name in available_suites(settings.gx_dir):
        context.suites.add_or_update(to_gx_suite(load_suite(settings.gx_dir, name)))
    return context


def upload_site(settings: Settings, site_dir: Path, modified_since: float = 0.0) -> int:
    """Upload files of ``site_dir`` changed since ``modified_since`` (epoch seconds).

    GX rewrites the index, static assets and recent result pages on every build, so pages
    missed by a failed upload are sent again by the next build.
    """
    from dataflow.aws import s3_client

    s3 = s3_client(settings)
    count = 0
    for path in sorted(p for p in site_dir.rglob("*") if p.is_file()):
        if path.stat().st_mtime < modified_since:
            continue
        key = DOCS_PREFIX + path.relative_to(site_dir).as_posix()
        content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        s3.upload_file(
            str(path), settings.docs_bucket, key, ExtraArgs={"ContentType": content_type}
        )
        count += 1
    return count
