{#
  Where the sources' raw files become tables. dbt-duckdb reads each file in place through the source's
  `external_location` meta; on Spark (run on-run-start) each source with that meta becomes an external table of
  the metastore over the same file, so models read `schema.identifier` as they would a data lake's table.
#}
{% macro register_raw_sources() %}
    {{ return(adapter.dispatch('register_raw_sources', 'customer_scoring')()) }}
{% endmacro %}

{% macro default__register_raw_sources() %}
{% endmacro %}

{% macro spark__register_raw_sources() %}
    {%- if execute %}
        {%- for source in graph.sources.values() if source.meta.external_location %}
            {%- set location = source.meta.external_location.format(identifier=source.identifier) %}
            {%- set path = modules.re.fullmatch("read_parquet\('(.+)'\)", location) %}
            {%- if path is none %}
                {{ exceptions.raise_compiler_error("Spark reads a source's external_location only as read_parquet('<file>'), not " ~ location) }}
            {%- endif %}
            {%- do run_query("create schema if not exists " ~ source.schema) %}
            {%- do run_query("drop table if exists " ~ source.schema ~ "." ~ source.identifier) %}
            {%- do run_query("create table " ~ source.schema ~ "." ~ source.identifier ~ " using parquet location '" ~ path.group(1) ~ "'") %}
        {%- endfor %}
    {%- endif %}
{% endmacro %}
