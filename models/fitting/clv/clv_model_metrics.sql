-- Holdout validation metrics of every CLV model, one row per model and metric, as of the as-of date.
with

metrics as (
    select * from {{ ref('fit_clv_model_metrics') }}
),

as_of as (
    select * from {{ ref('int_as_of_date') }}
),

final as (
    select
        cast(metrics.model_name as {{ dbt.type_string() }}) as model_name,
        cast(metrics.metric_name as {{ dbt.type_string() }}) as metric_name,
        cast(metrics.metric_value as {{ dbt.type_float() }}) as metric_value,
        as_of.as_of_date
    from metrics
    cross join as_of
)

select * from final
