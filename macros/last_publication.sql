{#
  The table where `customer-scoring build` records the build warehouse's last publication (one row:
  invocation_id, published_at), or none: before the first, off DuckDB (publishing is DuckDB's) and when not
  executing. It is written only after a build that ran every data test of the project, and all passed:
  every row the warehouse held then had passed them.
#}
{% macro last_publication() %}
    {%- if not execute or target.type != 'duckdb' %}
        {{ return(none) }}
    {%- endif %}
    {{ return(adapter.get_relation(database=target.database, schema=target.schema, identifier='last_publication')) }}
{% endmacro %}
