-- Out-of-time validation metrics of every churn model, one row per model and metric.
with

metrics as (
    select * from {{ ref('fit_churn_model_metrics') }}
),

final as (
    select
        cast(model_name as {{ dbt.type_string() }}) as model_name,
        cast(metric_name as {{ dbt.type_string() }}) as metric_name,
        cast(metric_value as {{ dbt.type_float() }}) as metric_value,
        cast(test_cutoff_date as date) as test_cutoff_date
    from metrics
)

select * from final
