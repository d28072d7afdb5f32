-- Customers acquired (first purchase day) in each of the last revenue_forecast.acquisition_months months before
-- the as-of date (months of 365.25 / 12 days counted back, the as-of date the first day of month 1: day e back,
-- from 1, is in month ceil(e / (365.25 / 12)), the revenue forecast's month grid mirrored), zero for a month
-- without any: the revenue forecast's rate of new customers.
with

buyers as (
    select * from {{ ref('int_orders_summarized_by_customer') }}
),

as_of as (
    select * from {{ ref('int_as_of_date') }}
),

month_numbers as (
    {{ select_values('months_before_as_of', range(1, var('revenue_forecast')['acquisition_months'] + 1)) }}
),

acquisition_months as (
    select
        cast(ceil(
            ({{ dbt.datediff('buyers.first_order_date', 'as_of.as_of_date', 'day') }} + 1) / {{ days_per_month() }}
        ) as integer) as months_before_as_of
    from buyers
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
