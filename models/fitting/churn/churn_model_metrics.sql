-- Out-of-time validation metrics of every churn model, one row per model and metric.
-- The registered version this run scored with.
with

metrics as (
    {{ registered_version('fit_churn_model_metrics', 'churn') }}
),

final as (
    select {{ cast_to_contract('metrics') }}
    from metrics
)

select * from final
