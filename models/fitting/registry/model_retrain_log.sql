-- Every run's retraining decision per model family, with its reason and the trigger values: incremental,
-- each run appends its own rows, and a full refresh keeps them (the history is not rebuilt from data).
{{ config(
    materialized='incremental',
    unique_key=['invocation_id', 'model_family'],
    full_refresh=false,
    on_schema_change='append_new_columns',
) }}
with

decisions as (
    select * from {{ ref('model_retrain_decisions') }}
),

logged as (
    select
        decisions.*,
        '{{ invocation_id }}' as invocation_id,
        cast('{{ run_started_at.strftime("%Y-%m-%d %H:%M:%S") }}' as {{ dbt.type_timestamp() }}) as run_started_at
    from decisions
),

final as (
    select {{ cast_to_contract('logged') }}
    from logged
)

select * from final
