-- Every churn model's out-of-time predictions on the held-out cutoff, for lift, ROC and calibration.
with

predictions as (
    select * from {{ ref('fit_churn_holdout_predictions') }}
),

final as (
    select {{ cast_to_contract('predictions') }}
    from predictions
)

select * from final
