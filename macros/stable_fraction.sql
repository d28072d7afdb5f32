{# A number in [0, 1) from an expression (a row's key) that every engine computes alike: the first 32 bits of its
   MD5. The same key always gives the same number, on DuckDB and on Spark, so a sample "fraction < share" is
   deterministic (unlike random()) and a project moved between the engines fits on the same sample and keeps its
   campaigns' control groups. #}
{% macro stable_fraction(expression) %}
    {{ return(adapter.dispatch('stable_fraction', 'customer_scoring')(expression)) }}
{% endmacro %}

{% macro default__stable_fraction(expression) %}
    (cast(conv(substr(md5({{ expression }}), 1, 8), 16, 10) as double) / 4294967296.0)
{% endmacro %}

{% macro duckdb__stable_fraction(expression) %}
    (cast(('0x' || substr(md5({{ expression }}), 1, 8)) as bigint) / 4294967296.0)
{% endmacro %}
