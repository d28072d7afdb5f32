-- Out-of-time validation metrics of every churn model, one row per model and metric.
-- The rows of the registered version this run scored with.
with

all_versions as (
    select * from {{ ref('fit_churn_model_metrics') }}
),

decisions as (
    select * from {{ ref('model_retrain_decisions') }}
    where model_family = 'churn'
),

metrics as (
    select all_versions.*
    from all_versions
    inner join decisions on all_versions.model_version = decisions.model_version
),

final as (
    select {{ cast_to_contract('metrics') }}
    from metrics
)

select * from final
