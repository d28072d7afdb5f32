-- Out-of-time validation metrics of every churn model, one row per model and metric.
with

metrics as (
    select * from {{ ref('fit_churn_model_metrics') }}
),

final as (
    select {{ cast_to_contract('metrics') }}
    from metrics
)

select * from final
