{#
  A key for each raw row of an append-only source: a hash of every raw column, then '-' and the
  row's occurrence number among rows with that hash, so exact copies get keys of their own (in any order: copies
  are alike; the order by is there because Spark numbers rows only in an ordered window). Use it as
  `{{ raw_row_key(['col_a', 'col_b']) }}` in a select over the source (it is a window expression).
#}
{% macro raw_row_key(columns) -%}
    {%- set row_hash = adapter.dispatch('raw_row_hash', 'customer_scoring')(columns) -%}
    {%- set occurrence = "row_number() over (partition by " ~ row_hash ~ " order by " ~ row_hash ~ ")" -%}
    {{ dbt.concat(["cast(" ~ row_hash ~ " as " ~ dbt.type_string() ~ ")", "'-'", "cast(" ~ occurrence ~ " as " ~ dbt.type_string() ~ ")"]) }}
{%- endmacro %}

{% macro default__raw_row_hash(columns) -%}
    {%- set parts = [] -%}
    {%- for column in columns -%}
        {%- do parts.append("coalesce(cast(" ~ column ~ " as " ~ dbt.type_string() ~ "), '<null>')") -%}
        {%- if not loop.last %}{% do parts.append("'|'") %}{% endif -%}
    {%- endfor -%}
    {{ dbt.hash(dbt.concat(parts)) }}
{%- endmacro %}

{# DuckDB's native 64-bit row hash is several times faster than md5 of the joined text, and rows numbered
   within groups of a number sort faster than within groups of its text (56 M events at 1M customers); a collision
   only merges two rows' hash groups, whose occurrence numbers still keep their keys apart. #}
{% macro duckdb__raw_row_hash(columns) -%}
    hash({{ columns | join(', ') }})
{%- endmacro %}
