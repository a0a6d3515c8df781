"""Customer features: the Glue-style PySpark job ``customer_features`` and its lake output.

The job script is ``aws/glue_scripts/customer_features.py``; it runs unchanged on AWS Glue and
on local Spark. Its modules split by what they may import:

- :mod:`dataflow.features.schema` and :mod:`dataflow.features.transforms` (pure
  ``DataFrame -> DataFrame`` functions) and :mod:`dataflow.features.job` (arguments, reads,
  writes) need only pyspark and the standard library: they are what ships to Glue as
  ``--extra-py-files`` (see :mod:`dataflow.features.artifacts`).
- :mod:`dataflow.features.local`, :mod:`dataflow.features.publish`,
  :mod:`dataflow.features.catalog`, :mod:`dataflow.features.operators` and
  :mod:`dataflow.features.summary` run on the Airflow side (settings, boto3, Airflow).

Nothing here imports pyspark or boto3 at import time.
"""
