-- Every version of every registered model: what it was fitted on, how it validated, why it was fitted,
-- and the fit itself (artifact, JSON: never a pickle). is_current marks the version this run scores with.
with

churn as (
    select * from {{ ref('fit_churn_model') }}
),

clv as (
    select * from {{ ref('fit_clv_model') }}
),

segments as (
    select * from {{ ref('fit_segment_model') }}
),

decisions as (
    select * from {{ ref('model_retrain_decisions') }}
),

versions as (
    select
        'churn' as model_family,
        churn.*
    from churn
    union all
    select
        'clv' as model_family,
        clv.*
    from clv
    union all
    select
        'segments' as model_family,
        segments.*
    from segments
),

registered as (
    select
        versions.*,
        coalesce(versions.model_version = decisions.model_version, false) as is_current
    from versions
    left join decisions on versions.model_family = decisions.model_family
),

final as (
    select {{ cast_to_contract('registered') }}
    from registered
)

select * from final
