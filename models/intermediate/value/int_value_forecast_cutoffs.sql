-- The dates value-forecast features are taken at, and what each is for. The value_forecast long_days window
-- has closed after a month end when it ends by the as-of date. The forecast trains on the latest
-- training_cutoffs closed month ends (is_training) and scores the as-of date (is_scored); its out-of-time
-- back-test scores the latest closed month end (is_backtest_scored) with a model trained on the latest
-- training_cutoffs month ends whose window closed by that date (is_backtest_training). customers: how many
-- customers had signed up by the date (the rows the features have there).
{%- set settings = var('value_forecast') %}
with

daily_activity as (
    select * from {{ ref('int_customer_daily_activity') }}
),

customers as (
    select * from {{ ref('stg_crm__customers') }}
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

closed as (
    select
        month_ends.cutoff_date,
        row_number() over (order by month_ends.cutoff_date desc) as closed_rank
    from month_ends
    cross join as_of
    where {{ dbt.dateadd('day', settings['long_days'], 'month_ends.cutoff_date') }} <= as_of.as_of_date
),

backtest_training as (
    select
        closed.cutoff_date,
        row_number() over (order by closed.cutoff_date desc) as training_rank
    from closed
    inner join closed as backtest
        on
            backtest.closed_rank = 1
            and {{ dbt.dateadd('day', settings['long_days'], 'closed.cutoff_date') }} <= backtest.cutoff_date
),

roles as (
    select
        closed.cutoff_date,
        false as is_scored,
        closed.closed_rank <= {{ settings['training_cutoffs'] }} as is_training,
        closed.closed_rank = 1 as is_backtest_scored,
        coalesce(backtest_training.training_rank <= {{ settings['training_cutoffs'] }}, false) as is_backtest_training
    from closed
    left join backtest_training on closed.cutoff_date = backtest_training.cutoff_date
    union all
    select
        as_of_date as cutoff_date,
        true as is_scored,
        false as is_training,
        false as is_backtest_scored,
        false as is_backtest_training
    from as_of
),

used as (
    select * from roles
    where is_scored or is_training or is_backtest_training
),

final as (
    select
        used.cutoff_date,
        used.is_scored,
        used.is_training,
        used.is_backtest_scored,
        used.is_backtest_training,
        count(customers.customer_id) as customers
    from used
    left join customers on used.cutoff_date >= customers.signup_date
    group by used.cutoff_date, used.is_scored, used.is_training, used.is_backtest_scored, used.is_backtest_training
)

select * from final
