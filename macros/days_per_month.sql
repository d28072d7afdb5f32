{#
  The length of a month in days, 365.25 / 12: the months of the CLV profile and the revenue forecast
  (customer_scoring.clv.pipeline.DAYS_PER_MONTH, the same number on the Python side).
#}
{% macro days_per_month() %}
    {{- return(365.25 / 12) -}}
{% endmacro %}
