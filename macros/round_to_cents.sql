{#
  A double amount as decimal(18, 2), rounded half away from zero at the cent. A cast alone rounds differently per
  engine (DuckDB scales the double by 100 then rounds; Spark rounds its shortest decimal text), so 1.005 became
  1.00 on one and 1.01 on the other; scaling and rounding in the query is the same arithmetic on both.
#}
{% macro round_to_cents(expression) -%}
    cast(cast(round(({{ expression }}) * 100) as decimal(18, 0)) * 0.01 as decimal(18, 2))
{%- endmacro %}
