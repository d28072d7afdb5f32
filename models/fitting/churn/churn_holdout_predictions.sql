-- Every churn model's out-of-time predictions on the held-out cutoff, for lift, ROC and calibration.
-- The rows of the registered version this run scored with.
with

all_versions as (
    select * from {{ ref('fit_churn_holdout_predictions') }}
),

decisions as (
    select * from {{ ref('model_retrain_decisions') }}
    where model_family = 'churn'
),

predictions as (
    select all_versions.*
    from all_versions
    inner join decisions on all_versions.model_version = decisions.model_version
),

final as (
    select {{ cast_to_contract('predictions') }}
    from predictions
)

select * from final
