-- The dates churn features are taken at: every month end with activity, and the as-of date itself.
with

daily_activity as (
    select * from {{ ref('int_customer_daily_activity') }}
),

as_of as (
    select * from {{ ref('int_as_of_date') }}
),

month_ends as (
    select distinct
        cast(
            {{ dbt.dateadd('day', -1, dbt.dateadd('month', 1, dbt.date_trunc('month', 'activity_date'))) }} as date
        ) as cutoff_date
    from daily_activity
),

final as (
    select month_ends.cutoff_date
    from month_ends
    cross join as_of
    where month_ends.cutoff_date < as_of.as_of_date
    union all
    select as_of_date as cutoff_date
    from as_of
)

select * from final
