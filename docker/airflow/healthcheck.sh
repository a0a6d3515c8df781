#!/bin/sh
# Container health for whichever Airflow role PID 1 runs (the image's HEALTHCHECK).
# api-server: its HTTP health endpoint answers; scheduler / dag-processor / triggerer: this
# host's job has a recent heartbeat in the metadata DB. Anything else (one-shot commands) is
# healthy while it runs.
set -eu

role=$(tr '\0' ' ' < /proc/1/cmdline)
case "$role" in
  *api-server*)
    exec python -c 'import os, urllib.request; urllib.request.urlopen("http://127.0.0.1:%s/api/v2/monitor/health" % os.environ.get("AIRFLOW__API__PORT", "8080"), timeout=10)'
    ;;
  *dag-processor*) exec airflow jobs check --job-type DagProcessorJob --local ;;
  *scheduler*) exec airflow jobs check --job-type SchedulerJob --local ;;
  *triggerer*) exec airflow jobs check --job-type TriggererJob --local ;;
  *) exit 0 ;;
esac
