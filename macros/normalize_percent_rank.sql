{#
  Scale a column to [0, 1] by its percentile among all rows. Robust to the heavy tails of usage
  counts, where min-max scaling would squash almost everyone near zero. partition_by: rank within each
  value of that column (e.g. per cutoff date) instead.
#}
{% macro normalize_percent_rank(column, partition_by=none) %}
    percent_rank() over ({{ 'partition by ' ~ partition_by if partition_by }} order by {{ column }})
{% endmacro %}
