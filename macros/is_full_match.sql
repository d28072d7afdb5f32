{# True when the whole text matches the regular expression `pattern` (a Python string; not only a part of it). #}
{% macro is_full_match(text, pattern) %}
    {{ return(adapter.dispatch('is_full_match', 'customer_scoring')(text, pattern)) }}
{% endmacro %}

{% macro default__is_full_match(text, pattern) %}
    regexp_full_match({{ text }}, '{{ pattern }}')
{% endmacro %}

{# Spark reads a backslash in a string literal as an escape, so the pattern's backslashes are doubled. #}
{% macro spark__is_full_match(text, pattern) %}
    {{ text }} rlike '^(?:{{ pattern | replace("\\", "\\\\") }})$'
{% endmacro %}
