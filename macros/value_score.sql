{#
  What the value score is made of, shared by customer_value_score (as of the as-of date) and the value forecast's
  features (at each cutoff, where it is the baseline the forecast is compared with).
  monthly_revenue: revenue per 30 days since the first order, counting at least spend_rate_min_days days.
  value_score_composite: the 0-100 score, the value_score_weights var over normalized activity and monetary value.
#}
{% macro monthly_revenue(revenue, days_since_first_order) -%}
    30.0 * cast({{ revenue }} as {{ type_double() }})
    / greatest(coalesce({{ days_since_first_order }}, 0), {{ var('spend_rate_min_days') }})
{%- endmacro %}

{% macro value_score_composite(activity_norm, monetary_norm) -%}
    {%- set weights = var('value_score_weights') -%}
    100.0 * (
        {{ weights['engagement'] }} * {{ activity_norm }} + {{ weights['monetary'] }} * {{ monetary_norm }}
    ) / {{ weights.values() | sum }}
{%- endmacro %}
