{#
  Sums (or averages) floating-point values in fixed-point decimal, each value rounded to 1e-12 first.
  A double sum depends on the order in which parallel threads add the rows; a decimal sum is exact,
  so a rebuild of the same data publishes bit-identical totals.
#}
{% macro exact_sum(expression) -%}
    cast(sum(cast({{ expression }} as decimal(38, 12))) as {{ type_double() }})
{%- endmacro %}

{% macro exact_avg(expression) -%}
    cast(avg(cast({{ expression }} as decimal(38, 12))) as {{ type_double() }})
{%- endmacro %}
