{# A number in [0, 1) from an expression that every engine computes alike: the first 32 bits of its MD5. Unlike
   sample_fraction (each engine's own fast hash), it gives the same value on DuckDB and on Spark, for what must not
   change when a project moves between them: who is in a campaign's control group. #}
{% macro stable_fraction(expression) %}
    {{ return(adapter.dispatch('stable_fraction', 'customer_scoring')(expression)) }}
{% endmacro %}

{% macro default__stable_fraction(expression) %}
    (cast(conv(substr(md5({{ expression }}), 1, 8), 16, 10) as double) / 4294967296.0)
{% endmacro %}

{% macro duckdb__stable_fraction(expression) %}
    (cast(('0x' || substr(md5({{ expression }}), 1, 8)) as bigint) / 4294967296.0)
{% endmacro %}
