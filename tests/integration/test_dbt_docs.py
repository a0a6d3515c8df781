"""dbt docs never touch the manifest the DAG is rendered from."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.integration


def test_docs_generation_leaves_the_dags_manifest_byte_identical(settings, dbt_manifest, s3):
    from dataflow.pipeline.dbt import publish_dbt_docs

    before = (dbt_manifest.read_bytes(), dbt_manifest.stat().st_mtime_ns)

    published = publish_dbt_docs(settings)

    assert (dbt_manifest.read_bytes(), dbt_manifest.stat().st_mtime_ns) == before
    docs = settings.dbt_docs_target_dir
    assert published["local"] == str(docs / "index.html")
    assert (docs / "index.html").is_file() and (docs / "manifest.json").is_file()
    keys = {o["Key"] for o in s3.list_objects_v2(Bucket=settings.docs_bucket)["Contents"]}
    assert "dbt_docs/index.html" in keys


def test_rebuilding_the_manifest_replaces_it_in_one_rename(settings, dbt_manifest):
    from dataflow.transform import build_manifest

    inode_before = dbt_manifest.stat().st_ino

    rebuilt = build_manifest(settings)

    assert rebuilt == dbt_manifest
    assert rebuilt.stat().st_ino != inode_before, "a new file was renamed over the old one"
    assert not [p for p in rebuilt.parent.iterdir() if p.name.startswith(".manifest")]
