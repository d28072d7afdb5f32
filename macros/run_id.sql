{#
  The run a build belongs to: the CUSTOMER_SCORING_RUN_ID environment variable when an orchestrator builds one run
  in several dbt invocations (the Airflow DAG sets its run's id in every task), else dbt's invocation id. Monitoring
  tells this run's drift bins from an earlier run's by it. Read when a model runs, not while dbt parses: a value
  parsing saw would make dbt parse the whole project again in every task whose run id differs, as a changed var
  does (~20 s a task).
#}
{% macro run_id() %}
    {{ return((env_var('CUSTOMER_SCORING_RUN_ID', '') if execute else '') or invocation_id) }}
{% endmacro %}
