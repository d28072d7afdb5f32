{#
  The run a build belongs to: var run_id when an orchestrator builds one run in several dbt invocations (the
  Airflow DAG passes its run's id to every task), else dbt's invocation id. Monitoring tells this run's drift
  bins from an earlier run's by it.
#}
{% macro run_id() %}
    {{ return(var('run_id') or invocation_id) }}
{% endmacro %}
