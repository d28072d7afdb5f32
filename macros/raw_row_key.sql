{#
  A key for each raw row of an append-only source: a hash of every raw column, then '-' and the
  row's occurrence number among identical rows, so exact copies get keys of their own. Use it as
  `{{ raw_row_key(['col_a', 'col_b']) }}` in a select over the source (it is a window expression).
#}
{% macro raw_row_key(columns) -%}
    {%- set parts = [] -%}
    {%- for column in columns -%}
        {%- do parts.append("coalesce(cast(" ~ column ~ " as " ~ dbt.type_string() ~ "), '<null>')") -%}
        {%- if not loop.last %}{% do parts.append("'|'") %}{% endif -%}
    {%- endfor -%}
    {%- set row_hash = dbt.hash(dbt.concat(parts)) -%}
    {{ dbt.concat([row_hash, "'-'", "cast(row_number() over (partition by " ~ row_hash ~ ") as " ~ dbt.type_string() ~ ")"]) }}
{%- endmacro %}
