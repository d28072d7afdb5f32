-- Customers who crossed into high or critical churn risk since the previous cutoff (the month end
-- before the as-of date): newly at risk, or newly active and already at high risk.
with

scores as (
    select * from {{ ref('fit_churn_scores') }}
),

as_of as (
    select * from {{ ref('int_as_of_date') }}
),

current_scores as (
    select scores.*
    from scores
    inner join as_of on cast(scores.cutoff_date as date) = as_of.as_of_date
),

previous_scores as (
    select scores.*
    from scores
    inner join as_of on cast(scores.cutoff_date as date) < as_of.as_of_date
),

final as (
    select
        cast(current_scores.customer_id as {{ dbt.type_string() }}) as customer_id,
        cast(previous_scores.risk_tier as {{ dbt.type_string() }}) as previous_risk_tier,
        cast(current_scores.risk_tier as {{ dbt.type_string() }}) as risk_tier,
        cast(previous_scores.churn_probability as {{ type_double() }}) as previous_churn_probability,
        cast(current_scores.churn_probability as {{ type_double() }}) as churn_probability,
        cast(current_scores.driver_1 as {{ dbt.type_string() }}) as driver_1,
        cast(previous_scores.cutoff_date as date) as previous_cutoff_date,
        cast(current_scores.cutoff_date as date) as as_of_date
    from current_scores
    left join previous_scores on current_scores.customer_id = previous_scores.customer_id
    where
        current_scores.risk_tier in ('high', 'critical')
        and coalesce(previous_scores.risk_tier, 'none') not in ('high', 'critical')
)

select * from final
