{# True when the text looks like local@domain.tld: one @, no spaces, a dot in the domain. #}
{% macro is_valid_email(column) %}
    {{ return(adapter.dispatch('is_valid_email', 'customer_scoring')(column)) }}
{% endmacro %}

{% macro default__is_valid_email(column) %}
    regexp_matches({{ column }}, '^[^@\s]+@[^@\s]+\.[^@\s]+$')
{% endmacro %}

{% macro snowflake__is_valid_email(column) %}
    regexp_like({{ column }}, '^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$')
{% endmacro %}

{% macro bigquery__is_valid_email(column) %}
    regexp_contains({{ column }}, r'^[^@\s]+@[^@\s]+\.[^@\s]+$')
{% endmacro %}

{% macro spark__is_valid_email(column) %}
    {{ column }} rlike '^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$'
{% endmacro %}
