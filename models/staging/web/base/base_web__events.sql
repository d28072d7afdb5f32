-- Every raw web event, typed, with the first reason it fails validation (null when it passes).
-- Incremental: a run validates only the raw rows not loaded before (raw_row_key), together with the
-- loaded rows that share an event id with them, so duplicates rank exactly as in a full refresh.
-- The raw file is append-only; a row is checked against the CRM and the clock when it loads, and a row
-- quarantined as unknown_customer is checked again once that customer arrives in the CRM.
{{ config(materialized='incremental', unique_key='raw_row_key', on_schema_change='fail') }}
with

source as (
    select * from {{ source('web', 'events') }}
),

keyed as (
    select
        *,
        {{ raw_row_key(['event_id', 'customer_id', 'event_ts', 'event_type', 'event_target', 'duration_seconds']) }}
            as raw_row_key
    from source
),

customers as (
    select * from {{ ref('stg_crm__customers') }}
),

new_rows as (
    select keyed.*
    from keyed
    {%- if is_incremental() %}
        left join {{ this }} as loaded on keyed.raw_row_key = loaded.raw_row_key
    where
        loaded.raw_row_key is null
        or (
            loaded.rejection_reason = 'unknown_customer'
            and loaded.customer_id in (select customers.customer_id from customers)
        )
    {%- endif %}
),

typed as (
    select
        raw_row_key,
        event_id as raw_event_id,
        nullif(trim(event_id), '') as event_id,
        nullif(trim(customer_id), '') as customer_id,
        event_ts as raw_event_ts,
        {{ dbt.safe_cast('event_ts', api.Column.translate_type('timestamp')) }} as event_at,
        event_type,
        event_target,
        duration_seconds
    from new_rows
),

checked as (
    select
        typed.*,
        case
            when typed.event_id is null then 'missing_event_id'
            when typed.event_at is null then 'invalid_event_ts'
            when typed.event_at > {{ dbt.current_timestamp() }} then 'future_event_ts'
            when typed.duration_seconds < 0 then 'negative_duration'
            when typed.event_type not in ('page_view', 'feature_click') or typed.event_type is null
                then 'unknown_event_type'
            when typed.customer_id is not null and customers.customer_id is null then 'unknown_customer'
        end as row_check
    from typed
    left join customers on typed.customer_id = customers.customer_id
),

{%- if is_incremental() %}

-- Loaded rows sharing an event id with a new row, with the check they passed or failed.
reloaded as (
    select
        loaded.raw_row_key,
        loaded.raw_event_id,
        loaded.event_id,
        loaded.customer_id,
        loaded.raw_event_ts,
        loaded.event_at,
        loaded.event_type,
        loaded.event_target,
        loaded.duration_seconds,
        nullif(loaded.rejection_reason, 'duplicate_event_id') as row_check
    from {{ this }} as loaded
    where
        loaded.event_id in (select checked.event_id from checked)
        and loaded.raw_row_key not in (select checked.raw_row_key from checked)
),
{%- endif %}

batch as (
    select * from checked
    {%- if is_incremental() %}
        union all
        select * from reloaded
    {%- endif %}
),

ranked as (
    select
        *,
        row_number() over (
            partition by event_id
            order by
                row_check asc nulls first, event_at asc, customer_id asc, event_type asc, event_target asc,
                raw_row_key asc
        ) as record_rank
    from batch
),

final as (
    select
        raw_row_key,
        raw_event_id,
        event_id,
        customer_id,
        raw_event_ts,
        event_at,
        event_type,
        event_target,
        duration_seconds,
        coalesce(
            row_check,
            case when record_rank > 1 then 'duplicate_event_id' end
        ) as rejection_reason
    from ranked
)

select * from final
