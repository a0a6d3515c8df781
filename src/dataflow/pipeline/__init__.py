"""Task callables and task-group builders for the DataFlow DAGs.

DAG files stay thin: they pick the groups and chain them. Heavy imports (GX, boto3, psycopg,
dbt) happen inside task functions, never at DAG parse time.
"""
