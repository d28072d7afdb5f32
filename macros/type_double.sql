{#
  An 8-byte float for scores and metrics: dbt's type_float is a 4-byte REAL on DuckDB and a 4-byte FLOAT on Spark
  (elsewhere it is already 8 bytes). Its own macro, not an override of dbt's, so that it holds when the project
  is installed as a package.
#}
{% macro type_double() %}
    {{ return(adapter.dispatch('type_double', 'customer_scoring')()) }}
{% endmacro %}

{% macro default__type_double() %}
    {{ return(dbt.type_float()) }}
{% endmacro %}

{% macro duckdb__type_double() %}
    {{ return('double') }}
{% endmacro %}

{% macro spark__type_double() %}
    {{ return('double') }}
{% endmacro %}
