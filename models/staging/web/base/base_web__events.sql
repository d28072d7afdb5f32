-- Every raw web event, typed, with the first reason it fails validation (null when it passes).
-- Incremental (rows_to_validate, rank_with_loaded_rows): a run validates the raw rows not loaded before and
-- those waiting for their customer, ranked for duplicates with the loaded rows that share their id, so the
-- table equals a full refresh. A row is checked against the CRM and the clock when it is validated.
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
    {{ rows_to_validate('keyed', 'customers') }}
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

ranked as (
    {{ rank_with_loaded_rows(
        'checked',
        id_column='event_id',
        order_by='batch.event_at asc, batch.customer_id asc, batch.event_type asc, batch.event_target asc',
        duplicate_reason='duplicate_event_id',
    ) }}
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
