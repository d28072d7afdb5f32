-- Customers acquired (first purchase day) in each of the last revenue_forecast.acquisition_months months before
-- the as-of date (months of 365.25 / 12 days counted back, the as-of date the first day of month 1: day e back,
-- from 1, is in month ceil(e / (365.25 / 12)), the revenue forecast's month grid mirrored), zero for a month
-- without any: the revenue forecast's rate of new customers.
{%- set days_per_month = 365.25 / 12 %}
with

daily_activity as (
    select * from {{ ref('int_customer_daily_activity') }}
),

as_of as (
    select * from {{ ref('int_as_of_date') }}
),

acquired as (
    select
        daily_activity.customer_id,
        min(daily_activity.activity_date) as first_purchase_date
    from daily_activity
    cross join as_of
    where daily_activity.orders > 0 and daily_activity.activity_date <= as_of.as_of_date
    group by daily_activity.customer_id
),

month_numbers as (
    {%- for month in range(1, var('revenue_forecast')['acquisition_months'] + 1) %}
        select {{ month }} as months_before_as_of
        {%- if not loop.last %}
            union all
        {%- endif %}
    {%- endfor %}
),

acquisition_months as (
    select
        cast(ceil(
            ({{ dbt.datediff('acquired.first_purchase_date', 'as_of.as_of_date', 'day') }} + 1) / {{ days_per_month }}
        ) as integer) as months_before_as_of
    from acquired
    cross join as_of
),

counted as (
    select
        months_before_as_of,
        count(*) as new_customers
    from acquisition_months
    group by months_before_as_of
),

final as (
    select
        cast(month_numbers.months_before_as_of as integer) as months_before_as_of,
        cast(coalesce(counted.new_customers, 0) as integer) as new_customers
    from month_numbers
    left join counted on month_numbers.months_before_as_of = counted.months_before_as_of
)

select * from final
