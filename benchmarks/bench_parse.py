"""DAG parse time per file in ``airflow/dags/``, each measurement in a fresh interpreter.

Two numbers per file, both excluding interpreter start-up:

- ``dagbag_s``: ``DagBag(dag_folder=<file>)`` after ``airflow`` itself was imported — what the
  dag-processor pays per file (it has Airflow loaded already). This is the figure with the goal.
- ``import_s``: importing the file alone (``exec_module``) with nothing preloaded, so it
  includes importing Airflow, Cosmos and ``dataflow``.
- ``warm_dagbag_s``: a second ``DagBag`` of the same file in the same interpreter, once the
  one-off loads (Airflow plugins and provider filesystems, which Cosmos triggers by reading
  the manifest through ``ObjectStoragePath``) are done.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
from pathlib import Path

DAGBAG_CHILD = """
import json, sys, time
t0 = time.perf_counter()
from airflow.dag_processing.dagbag import DagBag
t1 = time.perf_counter()
bag = DagBag(dag_folder=sys.argv[1])
t2 = time.perf_counter()
DagBag(dag_folder=sys.argv[1])
t3 = time.perf_counter()
print(json.dumps({"airflow_import_s": t1 - t0, "dagbag_s": t2 - t1, "warm_dagbag_s": t3 - t2,
                  "dags": len(bag.dags), "import_errors": {k: str(v)[:300]
                  for k, v in bag.import_errors.items()}}))
"""

IMPORT_CHILD = """
import importlib.util, json, sys, time
t0 = time.perf_counter()
spec = importlib.util.spec_from_file_location("bench_dag_module", sys.argv[1])
module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(module)
print(json.dumps({"import_s": time.perf_counter() - t0}))
"""


def run_child(code: str, dag_file: Path, env: dict[str, str]) -> dict:
    """Run ``code`` in a fresh interpreter with the DAG file as argv[1]; its JSON line."""
    proc = subprocess.run(
        [sys.executable, "-c", code, str(dag_file)],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"parsing {dag_file} failed:\n{proc.stderr[-2000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def parse_file(dag_file: Path, env: dict[str, str], repeat: int) -> dict:
    """Median over ``repeat`` fresh interpreters of both measurements for one file."""
    bags = [run_child(DAGBAG_CHILD, dag_file, env) for _ in range(repeat)]
    imports = [run_child(IMPORT_CHILD, dag_file, env) for _ in range(repeat)]
    return {
        "file": dag_file.name,
        "dagbag_s": statistics.median(b["dagbag_s"] for b in bags),
        "warm_dagbag_s": statistics.median(b["warm_dagbag_s"] for b in bags),
        "airflow_import_s": statistics.median(b["airflow_import_s"] for b in bags),
        "import_s": statistics.median(i["import_s"] for i in imports),
        "dags": bags[-1]["dags"],
        "import_errors": bags[-1]["import_errors"],
        "runs": repeat,
    }


def parse_all(dag_folder: Path, env: dict[str, str], repeat: int = 3) -> list[dict]:
    """Parse timings of every ``*.py`` DAG file in ``dag_folder``."""
    files = sorted(p for p in dag_folder.glob("*.py") if not p.name.startswith("_"))
    return [parse_file(path, env, repeat) for path in files]
