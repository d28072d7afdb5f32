{#
  The rows of a raw source and, when the raw sources are files, of its live log `live_table` (the items sent one
  at a time, customer_scoring.ingest), in `columns`, after raw_file: the file the row is read from (its name; the
  live log's path under the raw directory; the source table's name when the raw sources are tables). The
  `text_columns` are cast to text in the raw rows, as the live log holds them (a generated file's amounts are
  numbers). A line of the log being appended, or cut short by a crash, reads as nulls: every stored item has its
  `id_column`, so the rows without one are left out.
#}
{% macro raw_with_live_rows(raw, live_table, columns, id_column, text_columns=[]) -%}
    select
        {{ raw_file_name() if var('raw_sources') == 'files' else "'" ~ raw.identifier ~ "'" }} as raw_file,
        {%- for column in columns %}
            {%- if column in text_columns %}
        cast({{ column }} as {{ dbt.type_string() }}) as {{ column }}{{ ',' if not loop.last }}
            {%- else %}
        {{ column }}{{ ',' if not loop.last }}
            {%- endif %}
        {%- endfor %}
    from {{ raw }}
    {%- if var('raw_sources') == 'files' %}
    union all
    select
        'live/{{ live_table }}.jsonl' as raw_file,
        {%- for column in columns %}
        {{ column }}{{ ',' if not loop.last }}
        {%- endfor %}
    from {{ source('live', live_table) }}
    where {{ id_column }} is not null
    {%- endif %}
{%- endmacro %}

{# The name of the file a raw row is read from: DuckDB's read_parquet(..., filename = true) column; Spark's file
   metadata (the raw files are registered as tables located at them). #}
{% macro raw_file_name() -%}
    {{ return(adapter.dispatch('raw_file_name', 'customer_scoring')()) }}
{%- endmacro %}

{% macro default__raw_file_name() -%}
    _metadata.file_name
{%- endmacro %}

{% macro duckdb__raw_file_name() -%}
    parse_filename(filename)
{%- endmacro %}
