{#
  A 1-5 score from the column's percentile among all rows: 5 is the top fifth. Ties share a score,
  so a mass of equal values (one-order customers) never splits arbitrarily across scores.
  higher_is_better=false scores the smallest values 5 (recency in days).
#}
{% macro quintile_score(column, higher_is_better=true) %}
    least(5, 1 + floor(5 * percent_rank() over (order by {{ column }} {{ 'asc' if higher_is_better else 'desc' }})))
{% endmacro %}
