{# dbt's float is a 4-byte REAL on DuckDB and a 4-byte FLOAT on Spark; scores and metrics need double precision. #}
{% macro duckdb__type_float() %}
    double
{% endmacro %}

{% macro spark__type_float() %}
    double
{% endmacro %}
