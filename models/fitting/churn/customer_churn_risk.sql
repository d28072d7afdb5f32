-- Churn risk of every recently active buyer at the as-of date.
with

scores as (
    select * from {{ ref('fit_churn_scores') }}
),

as_of as (
    select * from {{ ref('int_as_of_date') }}
),

final as (
    select
        cast(scores.customer_id as {{ dbt.type_string() }}) as customer_id,
        cast(scores.churn_probability as {{ dbt.type_float() }}) as churn_probability,
        cast(scores.risk_tier as {{ dbt.type_string() }}) as risk_tier,
        cast(scores.driver_1 as {{ dbt.type_string() }}) as driver_1,
        cast(scores.driver_2 as {{ dbt.type_string() }}) as driver_2,
        cast(scores.driver_3 as {{ dbt.type_string() }}) as driver_3,
        cast(scores.median_days_to_churn as {{ dbt.type_float() }}) as median_days_to_churn,
        cast(scores.survival_30d as {{ dbt.type_float() }}) as survival_30d,
        cast(scores.survival_90d as {{ dbt.type_float() }}) as survival_90d,
        {{ dbt.concat(['scores.model_name', "'@'", 'cast(as_of.as_of_date as ' ~ dbt.type_string() ~ ')']) }}
            as model_version,
        as_of.as_of_date
    from scores
    inner join as_of on cast(scores.cutoff_date as date) = as_of.as_of_date
)

select * from final
