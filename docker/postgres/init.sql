-- Runs once, when the postgres service initialises an empty data volume (the official image's
-- /docker-entrypoint-initdb.d). `airflow-init` creates these too if missing (`dataflow up
-- --data-only`), so this only makes them exist from the first start on.
create database warehouse;
create database airflow;
