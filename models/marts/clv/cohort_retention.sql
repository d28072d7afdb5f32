-- Monthly acquisition cohorts (month of the first completed order) by months since acquisition:
-- active customers, retention rate, revenue and cumulative revenue per customer, up to the as-of date.
with

daily_activity as (
    select * from {{ ref('int_customer_daily_activity') }}
),

as_of as (
    select * from {{ ref('int_as_of_date') }}
),

purchases as (
    select
        customer_id,
        activity_date,
        revenue,
        min(activity_date) over (partition by customer_id) as first_purchase_date
    from daily_activity
    where orders > 0
),

purchase_months as (
    select
        customer_id,
        cast({{ dbt.date_trunc('month', 'first_purchase_date') }} as date) as cohort_month,
        cast({{ dbt.date_trunc('month', 'activity_date') }} as date) as activity_month,
        revenue
    from purchases
),

cohort_sizes as (
    select
        cohort_month,
        count(distinct customer_id) as cohort_customers
    from purchase_months
    group by cohort_month
),

monthly as (
    select
        cohort_month,
        cast({{ dbt.datediff('cohort_month', 'activity_month', 'month') }} as integer) as months_since_acquisition,
        count(distinct customer_id) as active_customers,
        sum(revenue) as revenue
    from purchase_months
    group by cohort_month, months_since_acquisition
),

final as (
    select
        monthly.cohort_month,
        monthly.months_since_acquisition,
        cast(cohort_sizes.cohort_customers as integer) as cohort_customers,
        cast(monthly.active_customers as integer) as active_customers,
        cast(monthly.active_customers as {{ type_double() }}) / cohort_sizes.cohort_customers as retention_rate,
        cast(monthly.revenue as decimal(18, 2)) as revenue,
        {{ round_to_cents(
            'sum(monthly.revenue) over (
                partition by monthly.cohort_month order by monthly.months_since_acquisition
                rows between unbounded preceding and current row
            ) / cast(cohort_sizes.cohort_customers as ' ~ type_double() ~ ')'
        ) }} as cumulative_revenue_per_customer,
        as_of.as_of_date
    from monthly
    inner join cohort_sizes on monthly.cohort_month = cohort_sizes.cohort_month
    cross join as_of
)

select * from final
