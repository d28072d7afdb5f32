{#
  What the engagement score is made of, shared by customer_engagement (as of the as-of date) and its back-test
  (engagement_predictive_metrics, one window earlier).
  engagement_window_sums: a customer's sessions, usage minutes, pages viewed, features clicked and session
  minutes among the sessions where `in_window` holds (a boolean column of the rows aggregated).
  engagement_composite: the 0-100 score, the engagement_weights var over each measure's normalized value
  (`normalized`: measure name -> SQL expression).
#}
{% macro engagement_window_sums(in_window) -%}
    sum(case when {{ in_window }} then 1 else 0 end) as sessions,
    {{ exact_sum('case when ' ~ in_window ~ ' then usage_minutes else 0 end') }} as usage_minutes,
    sum(case when {{ in_window }} then pages_viewed else 0 end) as pages_viewed,
    sum(case when {{ in_window }} then features_clicked else 0 end) as features_clicked,
    {{ exact_sum('case when ' ~ in_window ~ ' then session_minutes else 0 end') }} as session_minutes
{%- endmacro %}

{% macro engagement_composite(normalized) -%}
    {%- set weights = var('engagement_weights') -%}
    100.0 * (
        {%- for measure, weight in weights.items() %}
        {{ "+ " if not loop.first }}{{ weight }} * {{ normalized[measure] }}
        {%- endfor %}
    ) / {{ weights.values() | sum }}
{%- endmacro %}
