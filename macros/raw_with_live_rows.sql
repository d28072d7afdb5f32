{#
  The rows of a raw source and of its live log (the items sent one at a time, customer_scoring.ingest), in
  `columns`. The `text_columns` are cast to text in the raw file's rows, as the live log holds them (a generated
  file's amounts are numbers). A line of the log being appended, or cut short by a crash, reads as nulls: every
  stored item has its `id_column`, so the rows without one are left out.
#}
{% macro raw_with_live_rows(raw, live, columns, id_column, text_columns=[]) -%}
    select
        {%- for column in columns %}
            {%- if column in text_columns %}
        cast({{ column }} as {{ dbt.type_string() }}) as {{ column }}{{ ',' if not loop.last }}
            {%- else %}
        {{ column }}{{ ',' if not loop.last }}
            {%- endif %}
        {%- endfor %}
    from {{ raw }}
    union all
    select
        {%- for column in columns %}
        {{ column }}{{ ',' if not loop.last }}
        {%- endfor %}
    from {{ live }}
    where {{ id_column }} is not null
{%- endmacro %}
