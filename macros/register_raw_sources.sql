{#
  Where the sources' raw files become tables (when the raw sources are files: var raw_sources). dbt-duckdb
  reads each file in place through the source's `external_location` meta; on Spark (run on-run-start) each
  source with that meta becomes an external table of the metastore over the same files, so models read
  `schema.identifier` as they would a data lake's table: a parquet file as it is, a JSON-lines log (read_json)
  with the columns and types of its `json_columns` meta. Run first, it also refuses a raw_sources value that
  is neither mode, which every check of it would otherwise read as 'tables'.
#}
{% macro register_raw_sources() %}
    {%- if var('raw_sources') not in ['files', 'tables'] %}
        {{ exceptions.raise_compiler_error("var raw_sources must be 'files' or 'tables', not '" ~ var('raw_sources') ~ "'") }}
    {%- endif %}
    {{ return(adapter.dispatch('register_raw_sources', 'customer_scoring')()) }}
{% endmacro %}

{% macro default__register_raw_sources() %}
{% endmacro %}

{% macro spark__register_raw_sources() %}
    {%- if execute and var('raw_sources') == 'files' %}
        {%- for source in graph.sources.values() if source.meta.external_location %}
            {%- set location = source.meta.external_location.format(identifier=source.identifier, json_columns='') %}
            {%- set path = modules.re.match("read_(parquet|json)\('([^']+)'", location) %}
            {%- if path is none %}
                {{ exceptions.raise_compiler_error("Spark reads a source's external_location only as read_parquet('<file>') or read_json('<file>', ...), not " ~ location) }}
            {%- endif %}
            {%- set table = source.schema ~ "." ~ source.identifier %}
            {%- do run_query("create schema if not exists " ~ source.schema) %}
            {%- do run_query("drop table if exists " ~ table) %}
            {%- if path.group(1) == 'parquet' %}
                {#- The folder with a file-name filter: Hive's metastore creates a location that does not exist, so
                    a glob location ('<dir>/orders*.parquet') would leave an empty folder of that name in the raw
                    directory. #}
                {%- set folder, files = path.group(2).rsplit('/', 1) %}
                {%- do run_query("create table " ~ table ~ " using parquet options (pathGlobFilter '" ~ files ~ "') location '" ~ folder ~ "'") %}
            {%- else %}
                {%- set columns = [] %}
                {%- for name, type in fromyaml(source.meta.json_columns).items() %}
                    {%- do columns.append(name ~ " " ~ {'VARCHAR': 'string', 'BIGINT': 'bigint'}[type]) %}
                {%- endfor %}
                {%- do run_query("create table " ~ table ~ " (" ~ columns | join(", ") ~ ") using json location '" ~ path.group(2) ~ "'") %}
            {%- endif %}
        {%- endfor %}
    {%- endif %}
{% endmacro %}
