-- Each identified customer's web activity per day over the days the churn features look back on (the
-- longer of churn_horizon_days and twice churn_recent_days) up to the as-of date, as the features count
-- it: the history live scoring adds a customer's live events to.
{%- set lookback = [var('churn_horizon_days'), 2 * var('churn_recent_days')] | max %}
with

daily_activity as (
    select * from {{ ref('int_customer_daily_activity') }}
),

as_of as (
    select * from {{ ref('int_as_of_date') }}
),

recent as (
    select daily_activity.*
    from daily_activity
    cross join as_of
    where
        daily_activity.events > 0
        and daily_activity.activity_date > {{ dbt.dateadd('day', -lookback, 'as_of.as_of_date') }}
),

final as (
    select {{ cast_to_contract('recent') }}
    from recent
)

select * from final
