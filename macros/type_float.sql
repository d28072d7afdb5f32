{# dbt's float on DuckDB is a 4-byte REAL; scores and metrics need double precision. #}
{% macro duckdb__type_float() %}
    double
{% endmacro %}
