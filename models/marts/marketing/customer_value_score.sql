-- The customer value score: normalized engagement and normalized monthly revenue, weighted into a
-- 0-100 score; the top high_value_share of customers are flagged high value.
{%- set weights = var('value_score_weights') %}
with

customers as (
    select * from {{ ref('dim_customers') }}
),

engagement as (
    select * from {{ ref('customer_engagement') }}
),

components as (
    select
        customers.customer_id,
        customers.tenure_days,
        engagement.engagement_score,
        30.0 * cast(customers.lifetime_revenue as {{ dbt.type_float() }}) / greatest(
            coalesce({{ dbt.datediff('customers.first_order_date', 'customers.as_of_date', 'day') }}, 0),
            {{ var('spend_rate_min_days') }}
        ) as monthly_revenue,
        customers.as_of_date
    from customers
    inner join engagement on customers.customer_id = engagement.customer_id
),

normalized as (
    select
        *,
        engagement_score / 100.0 as engagement_norm,
        {{ normalize_percent_rank('monthly_revenue') }} as monetary_norm
    from components
),

scored as (
    select
        *,
        100.0 * (
            {{ weights['engagement'] }} * engagement_norm + {{ weights['monetary'] }} * monetary_norm
        ) / {{ weights.values() | sum }} as value_score
    from normalized
),

final as (
    select
        customer_id,
        tenure_days,
        engagement_score,
        monthly_revenue,
        engagement_norm,
        monetary_norm,
        value_score,
        {{ normalize_percent_rank('value_score') }} as value_score_percentile,
        {{ normalize_percent_rank('value_score') }} >= 1 - {{ var('high_value_share') }} as is_high_value,
        as_of_date
    from scored
)

select * from final
