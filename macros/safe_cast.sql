{# dbt's default safe_cast is a plain cast that fails the query on one bad value; DuckDB has try_cast. #}
{% macro duckdb__safe_cast(field, type) %}
    try_cast({{ field }} as {{ type }})
{% endmacro %}
