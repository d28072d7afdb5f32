-- The customer value score: normalized activity and normalized monthly revenue, weighted into a
-- 0-100 score; the top high_value_share of customers are flagged high value. Activity is engagement
-- (engagement_score / 100); on an orders-only history (no identified web session at all) engagement is
-- 0 for everyone and says nothing, so order recency (percentile of the last order date) stands in.
with

customers as (
    select * from {{ ref('dim_customers') }}
),

engagement as (
    select * from {{ ref('customer_engagement') }}
),

sessions as (
    select * from {{ ref('fct_web_sessions') }}
),

web_data as (
    select count(*) > 0 as has_web_activity
    from sessions
),

components as (
    select
        customers.customer_id,
        customers.tenure_days,
        customers.last_order_date,
        engagement.engagement_score,
        {{ monthly_revenue(
            'customers.lifetime_revenue', dbt.datediff('customers.first_order_date', 'customers.as_of_date', 'day')
        ) }} as monthly_revenue,
        customers.as_of_date
    from customers
    inner join engagement on customers.customer_id = engagement.customer_id
),

normalized as (
    select
        components.*,
        web_data.has_web_activity,
        components.engagement_score / 100.0 as engagement_norm,
        {{ normalize_percent_rank("coalesce(components.last_order_date, cast('1900-01-01' as date))") }}
            as order_recency_norm,
        {{ normalize_percent_rank('components.monthly_revenue') }} as monetary_norm
    from components
    cross join web_data
),

scored as (
    select
        *,
        case when has_web_activity then engagement_norm else order_recency_norm end as activity_norm,
        case when has_web_activity then 'engagement' else 'order_recency' end as activity_source
    from normalized
),

weighted as (
    select
        *,
        {{ value_score_composite('activity_norm', 'monetary_norm') }} as value_score
    from scored
),

final as (
    select
        customer_id,
        tenure_days,
        engagement_score,
        monthly_revenue,
        engagement_norm,
        activity_norm,
        activity_source,
        monetary_norm,
        value_score,
        {{ normalize_percent_rank('value_score') }} as value_score_percentile,
        {{ normalize_percent_rank('value_score') }} >= 1 - {{ var('high_value_share') }} as is_high_value,
        as_of_date
    from weighted
)

select * from final
