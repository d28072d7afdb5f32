-- Churn risk of every recently active buyer at the as-of date.
with

scores as (
    select * from {{ ref('fit_churn_scores') }}
),

as_of as (
    select * from {{ ref('int_as_of_date') }}
),

decisions as (
    select * from {{ ref('model_retrain_decisions') }}
    where model_family = 'churn'
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
