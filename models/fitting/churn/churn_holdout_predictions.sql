-- Every churn model's out-of-time predictions on the held-out cutoff, for lift, ROC and calibration.
-- The registered version this run scored with.
with

predictions as (
    {{ registered_version('fit_churn_holdout_predictions', 'churn') }}
),

final as (
    select {{ cast_to_contract('predictions') }}
    from predictions
)

select * from final
