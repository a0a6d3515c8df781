"""AWS Glue job ``customer_features`` — the same script runs on Glue and on local Spark.

On Glue, ``--extra-py-files`` puts the ``dataflow.features`` modules on the path (the job
definition in ``aws/cloudformation/glue.yaml``); locally ``spark-submit`` runs it with the
project's virtualenv (``dataflow.features.local``). Arguments, reads, transforms and writes are
in :mod:`dataflow.features.job`; nothing runs at import time.
"""

import sys

from dataflow.features.job import main

if __name__ == "__main__":
    main(sys.argv)
