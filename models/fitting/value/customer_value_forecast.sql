-- Every customer's forecast spend over the next 90 and 180 days at the as-of date, its trend, the learned
-- high-value flag and the top drivers, from the registered version this run scored with.
with

scores as (
    select * from {{ ref('fit_value_forecast_scores') }}
),

as_of as (
    select * from {{ ref('int_as_of_date') }}
),

decisions as (
    select * from {{ ref('model_retrain_decisions') }}
    where model_family = 'value'
),

versioned as (
    select
        scores.*,
        decisions.model_version,
        as_of.as_of_date
    from scores
    inner join as_of on cast(scores.cutoff_date as date) = as_of.as_of_date
    cross join decisions
),

final as (
    select {{ cast_to_contract('versioned') }}
    from versioned
)

select * from final
