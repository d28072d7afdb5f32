{#
  Scale a column to [0, 1] by its percentile among all rows. Robust to the heavy tails of usage
  counts, where min-max scaling would squash almost everyone near zero.
#}
{% macro normalize_percent_rank(column) %}
    percent_rank() over (order by {{ column }})
{% endmacro %}
