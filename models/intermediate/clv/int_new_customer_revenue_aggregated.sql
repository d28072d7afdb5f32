-- What new customers spend in their first months (the revenue forecast's new customers): per month since
-- acquisition (months of 365.25 / 12 days from the first purchase day, the CLV profile's months; the first
-- revenue_forecast.months of them), the customers observed through that whole month by the as-of date, the sum and
-- the sum of squares of their revenue in it, and the sum of squares of their revenue from acquisition through it.
-- Sums are exact (decimals), so the figures do not depend on the order rows are added in.
with

daily_activity as (
    select * from {{ ref('int_customer_daily_activity') }}
),

buyers as (
    select * from {{ ref('int_orders_summarized_by_customer') }}
),

as_of as (
    select * from {{ ref('int_as_of_date') }}
),

month_numbers as (
    {{ select_values('months_since_acquisition', range(var('revenue_forecast')['months'])) }}
),

-- Every customer and month since acquisition they were observed through.
observed_months as (
    select
        buyers.customer_id,
        month_numbers.months_since_acquisition
    from buyers
    cross join month_numbers
    cross join as_of
    where
        {{ dbt.datediff('buyers.first_order_date', 'as_of.as_of_date', 'day') }} + 1
        >= (month_numbers.months_since_acquisition + 1) * {{ days_per_month() }}
),

purchase_months as (
    select
        daily_activity.customer_id,
        daily_activity.revenue,
        cast(floor(
            {{ dbt.datediff('buyers.first_order_date', 'daily_activity.activity_date', 'day') }} / {{ days_per_month() }}
        ) as integer) as months_since_acquisition
    from daily_activity
    inner join buyers on daily_activity.customer_id = buyers.customer_id
    where daily_activity.orders > 0
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
