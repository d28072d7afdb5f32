{#
  A cast that gives null on a value it cannot convert instead of failing the query: dbt's safe_cast, except on
  DuckDB, where dbt's default is a plain cast and try_cast is the safe one. Its own macro (not an override of
  dbt's) so that it holds when the project is installed as a package, where dispatch config is the host's.
#}
{% macro try_cast(field, type) %}
    {{ return(adapter.dispatch('try_cast', 'customer_scoring')(field, type)) }}
{% endmacro %}

{% macro default__try_cast(field, type) %}
    {{ return(dbt.safe_cast(field, type)) }}
{% endmacro %}

{% macro duckdb__try_cast(field, type) %}
    try_cast({{ field }} as {{ type }})
{% endmacro %}
