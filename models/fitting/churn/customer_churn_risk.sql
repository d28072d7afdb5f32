-- Churn risk of every recently active buyer at the as-of date.
with

scores as (
    select * from {{ ref('fit_churn_scores') }}
),

as_of as (
    select * from {{ ref('int_as_of_date') }}
),

versioned as (
    select
        scores.*,
        {{ dbt.concat(['scores.model_name', "'@'", 'cast(as_of.as_of_date as ' ~ dbt.type_string() ~ ')']) }}
            as model_version,
        as_of.as_of_date
    from scores
    inner join as_of on cast(scores.cutoff_date as date) = as_of.as_of_date
),

final as (
    select {{ cast_to_contract('versioned') }}
    from versioned
)

select * from final
