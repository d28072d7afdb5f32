{# A stable pseudo-random number in [0, 1) from an expression (a row's key): the same key always gives the
   same number, so a sample "fraction < share" is deterministic, unlike random(). #}
{% macro sample_fraction(expression) %}
    {{ return(adapter.dispatch('sample_fraction', 'customer_scoring')(expression)) }}
{% endmacro %}

{# Spark's xxhash64 is a signed 64-bit integer. #}
{% macro default__sample_fraction(expression) %}
    (cast(xxhash64({{ expression }}) as double) / 18446744073709551616.0 + 0.5)
{% endmacro %}

{# DuckDB's hash is an unsigned 64-bit integer (the same function raw_row_key uses). #}
{% macro duckdb__sample_fraction(expression) %}
    (hash({{ expression }}) / 18446744073709551616.0)
{% endmacro %}
