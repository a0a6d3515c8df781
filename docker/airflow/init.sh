#!/usr/bin/env bash
# One-shot bootstrap of the compose stack (service `airflow-init`); safe to run again.
#  1. warehouse + Airflow databases, warehouse schemas and tables, S3 buckets
#     (`dataflow up --data-only`: with DATABASE_URL set and DATAFLOW_LOCAL_AWS=0 it starts
#     nothing itself, it only bootstraps the postgres and moto services),
#  2. the Airflow metadata DB schema (`airflow db migrate`),
#  3. the web-UI password of `admin` (generated once into the shared state volume).
set -euo pipefail

dataflow up --data-only
airflow db migrate
python - <<'PY'
from dataflow.runtime.airflow import ADMIN_USER, ensure_admin_password
from dataflow.settings import get_settings

print(f"Web UI login  {ADMIN_USER} / {ensure_admin_password(get_settings())}")
PY
