-- Every version of every registered model: what it was fitted on, how it validated (the family's metric
-- in retrain_metric_floors, from the version's validation tables), why it was fitted, and the fit itself
-- (artifact, JSON: never a pickle). is_current marks the version this run scores with.
{%- set metrics = var('retrain_metric_floors') %}
with

churn as (
    select * from {{ ref('fit_churn_model') }}
),

clv as (
    select * from {{ ref('fit_clv_model') }}
),

value as (
    select * from {{ ref('fit_value_forecast_model') }}
),

segments as (
    select * from {{ ref('fit_segment_model') }}
),

churn_metrics as (
    select * from {{ ref('fit_churn_model_metrics') }}
    where metric_name = '{{ metrics['churn']['metric'] }}'
),

clv_metrics as (
    select * from {{ ref('fit_clv_model_metrics') }}
    where metric_name = '{{ metrics['clv']['metric'] }}'
),

value_metrics as (
    select * from {{ ref('fit_value_forecast_metrics') }}
    where metric_name = '{{ metrics['value']['metric'] }}'
),

segment_selection as (
    select * from {{ ref('fit_segment_k_selection') }}
    where is_selected
),

decisions as (
    select * from {{ ref('model_retrain_decisions') }}
),

validation as (
    select
        'churn' as model_family,
        model_version,
        model_name,
        metric_name,
        metric_value
    from churn_metrics
    union all
    select
        'clv' as model_family,
        model_version,
        model_name,
        metric_name,
        metric_value
    from clv_metrics
    union all
    select
        'value' as model_family,
        model_version,
        ranking as model_name,
        metric_name,
        metric_value
    from value_metrics
    union all
    select
        'segments' as model_family,
        model_version,
        'kmeans' as model_name,
        'silhouette' as metric_name,
        silhouette as metric_value
    from segment_selection
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
        'value' as model_family,
        value.*
    from value
    union all
    select
        'segments' as model_family,
        segments.*
    from segments
),

registered as (
    select
        versions.*,
        validation.metric_name as validation_metric_name,
        validation.metric_value as validation_metric_value,
        coalesce(versions.model_version = decisions.model_version, false) as is_current
    from versions
    left join decisions on versions.model_family = decisions.model_family
    left join validation
        on
            versions.model_family = validation.model_family
            and versions.model_version = validation.model_version
            and versions.model_name = validation.model_name
),

final as (
    select {{ cast_to_contract('registered') }}
    from registered
)

select * from final
