{#
  The mean of a decimal expression (amounts) as a double: DuckDB's avg, the exact decimal sum as a double over the
  count. Spark's avg keeps a decimal rounded to 6 places (and an avg of doubles would add in another order), which
  then rounds some cents the other way; its exact sum over the count is DuckDB's value to the bit.
#}
{% macro float_avg(expression) %}
    {{ return(adapter.dispatch('float_avg', 'customer_scoring')(expression)) }}
{% endmacro %}

{% macro default__float_avg(expression) -%}
    avg({{ expression }})
{%- endmacro %}

{% macro spark__float_avg(expression) -%}
    cast(sum({{ expression }}) as {{ type_double() }}) / count({{ expression }})
{%- endmacro %}
