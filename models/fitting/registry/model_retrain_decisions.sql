-- Per model family: does this run refit its model, or score with the version the registry holds, and why.
-- The first trigger that fires, in this order, refits: no version yet (first_fit), a --full-refresh run
-- (full_refresh), the family is named in retrain_models (forced), the data is not a later state of the
-- version's (its as-of date is earlier or it has fewer rows: data_replaced, as after an import with
-- --replace), its settings changed since the version was fitted (settings_changed), the
-- previous run's model_monitoring flagged drift in its inputs (drift), the version's validation metric is
-- below its floor (below_metric_floor), the version is retrain_max_age_days old (age), or the family's data
-- grew by retrain_new_data_share since the version saw it (new_data). No trigger: the version is kept.
-- The registry and monitoring read are the previous run's (`previous_run`): this run rebuilds both after
-- it has decided.
{%- set churn_settings = {
    'horizon_days': var('churn_horizon_days'),
    'numeric_features': var('churn_numeric_features'),
    'categorical_features': var('churn_categorical_features'),
    'models': var('churn_models'),
    'model_params': var('churn_model_params'),
    'max_fit_rows': var('churn_max_fit_rows'),
    'surrogate_tree': var('surrogate_tree'),
} %}
{%- set clv_settings = {
    'holdout_share': var('clv_holdout_share'),
    'xgboost_params': var('clv_xgboost_params'),
    'mlp_params': var('clv_mlp_params'),
    'sequence_months': var('clv_sequence_months'),
    'propensity_days': var('purchase_propensity_days'),
    'ml_training_rows': var('clv_ml_training_rows'),
    'models': var('clv_models'),
} %}
{%- set value_settings = {
    'forecast': var('value_forecast'),
    'numeric_features': var('value_forecast_numeric_features'),
    'categorical_features': var('value_forecast_categorical_features'),
    'high_value_share': var('high_value_share'),
    'surrogate_tree': var('surrogate_tree'),
} %}
{%- set segment_settings = {
    'features': var('segment_features'),
    'log_features': var('segment_log_features'),
    'k_range': var('segment_k_range'),
    'kmeans': var('segment_kmeans'),
} %}
with

as_of as (
    select * from {{ ref('int_as_of_date') }}
),

churn_cutoffs as (
    select * from {{ ref('churn_fit_cutoffs') }}
),

clv_summaries as (
    select * from {{ ref('int_clv_summary_by_snapshot') }}
    where snapshot_name = 'full'
),

buyers as (
    select * from {{ ref('int_orders_summarized_by_customer') }}
),

value_cutoffs as (
    select * from {{ ref('int_value_forecast_cutoffs') }}
),

families as (
    select
        'churn' as model_family,
        coalesce(sum(labelled_rows), 0) as data_rows,
        '{{ local_md5(tojson(churn_settings, sort_keys=true)) }}' as settings_fingerprint,
        {{ var('retrain_metric_floors')['churn']['floor'] }} as metric_floor
    from churn_cutoffs
    union all
    select
        'clv' as model_family,
        coalesce(sum(frequency + 1), 0) as data_rows,
        '{{ local_md5(tojson(clv_settings, sort_keys=true)) }}' as settings_fingerprint,
        {{ var('retrain_metric_floors')['clv']['floor'] }} as metric_floor
    from clv_summaries
    union all
    select
        'value' as model_family,
        coalesce(sum(case when is_training then customers else 0 end), 0) as data_rows,
        '{{ local_md5(tojson(value_settings, sort_keys=true)) }}' as settings_fingerprint,
        {{ var('retrain_metric_floors')['value']['floor'] }} as metric_floor
    from value_cutoffs
    union all
    select
        'segments' as model_family,
        count(*) as data_rows,
        '{{ local_md5(tojson(segment_settings, sort_keys=true)) }}' as settings_fingerprint,
        {{ var('retrain_metric_floors')['segments']['floor'] }} as metric_floor
    from buyers
),

registry as (
    select * from {{ previous_run('model_registry', {
        'model_family': dbt.type_string(),
        'model_version': dbt.type_bigint(),
        'as_of_date': 'date',
        'data_rows': dbt.type_bigint(),
        'settings_fingerprint': dbt.type_string(),
        'validation_metric_value': type_double(),
    }) }} as previous_registry
),

monitoring as (
    select * from {{ previous_run('model_monitoring', {
        'model_name': dbt.type_string(),
        'retrain_on_next_run': dbt.type_boolean(),
    }) }} as previous_monitoring
),

latest as (
    select
        model_family,
        max(model_version) as model_version
    from registry
    group by model_family
),

-- A family's latest version (if a refit found the data unfittable, the version before it still stands).
registered as (
    select
        registry.model_family,
        registry.model_version as registered_version,
        registry.as_of_date as registered_as_of_date,
        registry.data_rows as registered_data_rows,
        registry.settings_fingerprint as registered_settings_fingerprint,
        registry.validation_metric_value as registered_metric_value
    from registry
    inner join latest
        on
            registry.model_family = latest.model_family
            and registry.model_version = latest.model_version
),

flagged as (
    select
        model_name as model_family,
        max(case when retrain_on_next_run then 1 else 0 end) = 1 as is_drift_flagged
    from monitoring
    group by model_name
),

checked as (
    select
        families.model_family,
        families.data_rows,
        families.settings_fingerprint,
        families.metric_floor,
        as_of.as_of_date,
        registered.registered_version,
        registered.registered_as_of_date,
        registered.registered_data_rows,
        registered.registered_settings_fingerprint,
        registered.registered_metric_value,
        coalesce(flagged.is_drift_flagged, false) as is_drift_flagged,
        {{ dbt.datediff('registered.registered_as_of_date', 'as_of.as_of_date', 'day') }} as model_age_days,
        (families.data_rows - registered.registered_data_rows) * 1.0
        / nullif(registered.registered_data_rows, 0) as new_data_share
    from families
    cross join as_of
    left join registered on families.model_family = registered.model_family
    left join flagged on families.model_family = flagged.model_family
),

decided as (
    select
        *,
        case
            when registered_version is null then 'first_fit'
            when {{ 'true' if flags.FULL_REFRESH else 'false' }} then 'full_refresh'
            when model_family in ('{{ var("retrain_models") | join("', '") }}') then 'forced'
            when as_of_date < registered_as_of_date or data_rows < registered_data_rows then 'data_replaced'
            when settings_fingerprint != registered_settings_fingerprint then 'settings_changed'
            when is_drift_flagged then 'drift'
            when registered_metric_value < metric_floor then 'below_metric_floor'
            when model_age_days >= {{ var('retrain_max_age_days') }} then 'age'
            when new_data_share >= {{ var('retrain_new_data_share') }} then 'new_data'
        end as retrain_reason
    from checked
),

final as (
    select
        cast(model_family as {{ dbt.type_string() }}) as model_family,
        cast(
            case when retrain_reason is null then registered_version else coalesce(registered_version, 0) + 1 end
            as {{ dbt.type_bigint() }}
        ) as model_version,
        retrain_reason is not null as is_refit,
        cast(retrain_reason as {{ dbt.type_string() }}) as retrain_reason,
        as_of_date,
        cast(registered_version as {{ dbt.type_bigint() }}) as registered_version,
        cast(registered_as_of_date as date) as registered_as_of_date,
        cast(model_age_days as integer) as model_age_days,
        cast(data_rows as {{ dbt.type_bigint() }}) as data_rows,
        cast(new_data_share as {{ type_double() }}) as new_data_share,
        is_drift_flagged,
        cast(registered_metric_value as {{ type_double() }}) as registered_metric_value,
        cast(metric_floor as {{ type_double() }}) as metric_floor,
        cast(settings_fingerprint as {{ dbt.type_string() }}) as settings_fingerprint
    from decided
)

select * from final
