{#
  A 1-5 score from the column's percentile among all rows: 5 is the top fifth. Ties share a score,
  so a mass of equal values (one-order customers) never splits arbitrarily across scores.
  higher_is_better=false scores the smallest values 5 (recency in days). partition_by: within each value of
  that column.
#}
{% macro quintile_score(column, higher_is_better=true, partition_by=none) %}
    least(5, 1 + floor(5 * {{ normalize_percent_rank(column ~ (' asc' if higher_is_better else ' desc'), partition_by) }}))
{% endmacro %}
