-- What new customers spend in their first months (the revenue forecast's new customers): per month since
-- acquisition (months of 365.25 / 12 days from the first purchase day, the CLV profile's months; the first
-- revenue_forecast.months of them), the customers observed through that whole month by the as-of date, the sum and
-- the sum of squares of their revenue in it, and the sum of squares of their revenue from acquisition through it.
-- Sums are exact (decimals), so the figures do not depend on the order rows are added in.
{%- set days_per_month = 365.25 / 12 %}
with

daily_activity as (
    select * from {{ ref('int_customer_daily_activity') }}
),

as_of as (
    select * from {{ ref('int_as_of_date') }}
),

purchase_days as (
    select
        daily_activity.customer_id,
        daily_activity.activity_date,
        daily_activity.revenue
    from daily_activity
    cross join as_of
    where daily_activity.orders > 0 and daily_activity.activity_date <= as_of.as_of_date
),

acquired as (
    select
        customer_id,
        min(activity_date) as first_purchase_date
    from purchase_days
    group by customer_id
),

month_numbers as (
    {%- for month in range(var('revenue_forecast')['months']) %}
        select {{ month }} as months_since_acquisition
        {%- if not loop.last %}
            union all
        {%- endif %}
    {%- endfor %}
),

-- Every customer and month since acquisition they were observed through.
observed_months as (
    select
        acquired.customer_id,
        acquired.first_purchase_date,
        month_numbers.months_since_acquisition
    from acquired
    cross join month_numbers
    cross join as_of
    where
        {{ dbt.datediff('acquired.first_purchase_date', 'as_of.as_of_date', 'day') }} + 1
        >= (month_numbers.months_since_acquisition + 1) * {{ days_per_month }}
),

purchase_months as (
    select
        purchase_days.customer_id,
        purchase_days.revenue,
        cast(floor(
            {{ dbt.datediff('acquired.first_purchase_date', 'purchase_days.activity_date', 'day') }} / {{ days_per_month }}
        ) as integer) as months_since_acquisition
    from purchase_days
    inner join acquired on purchase_days.customer_id = acquired.customer_id
),

monthly_revenue as (
    select
        customer_id,
        months_since_acquisition,
        sum(revenue) as revenue
    from purchase_months
    group by customer_id, months_since_acquisition
),

customer_months as (
    select
        observed_months.months_since_acquisition,
        cast(coalesce(monthly_revenue.revenue, 0) as decimal(18, 2)) as revenue,
        cast(sum(coalesce(monthly_revenue.revenue, 0)) over (
            partition by observed_months.customer_id
            order by observed_months.months_since_acquisition
            rows between unbounded preceding and current row
        ) as decimal(18, 2)) as cumulative_revenue
    from observed_months
    left join monthly_revenue
        on
            observed_months.customer_id = monthly_revenue.customer_id
            and observed_months.months_since_acquisition = monthly_revenue.months_since_acquisition
),

final as (
    select
        cast(months_since_acquisition as integer) as months_since_acquisition,
        cast(count(*) as integer) as customers,
        cast(sum(revenue) as {{ type_double() }}) as revenue_sum,
        cast(sum(cast(revenue as decimal(38, 4)) * revenue) as {{ type_double() }}) as revenue_squares,
        cast(sum(cast(cumulative_revenue as decimal(38, 4)) * cumulative_revenue) as {{ type_double() }})
            as cumulative_squares
    from customer_months
    group by months_since_acquisition
)

select * from final
