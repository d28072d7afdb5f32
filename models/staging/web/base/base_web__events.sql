-- Every raw web event (the raw file's and the live log's), typed, with the first check of its own it fails
-- (null when it passes); the checks that need the CRM or other rows are int_web_events_validated's.
-- Incremental (raw_files_to_load, new_raw_rows): a run reads only the raw files holding rows it has not loaded,
-- types and checks only the raw rows not loaded before, so the clock is read when a row loads, and stamps them
-- loaded_at. customer_scoring.ingest applies the same checks to live items.
{%- set raw_columns = ['event_id', 'customer_id', 'event_ts', 'event_type', 'event_target', 'duration_seconds'] %}
{%- set raw_rows = raw_with_live_rows(source('web', 'events'), 'web_events', raw_columns, 'event_id') %}
{{ config(materialized='incremental', incremental_strategy='append', on_schema_change='fail') }}
{%- set files = raw_files_to_load(raw_rows) %}
with

keyed as (
    {{ keyed_raw_rows(rows_of_raw_files(raw_rows, files), ['raw_file'] + raw_columns) }}
),

new_rows as (
    {{ new_raw_rows('keyed', files) }}
),

typed as (
    select
        raw_row_key,
        raw_file,
        event_id as raw_event_id,
        nullif(trim(event_id), '') as event_id,
        nullif(trim(customer_id), '') as customer_id,
        event_ts as raw_event_ts,
        {{ try_cast('event_ts', api.Column.translate_type('timestamp')) }} as event_at,
        event_type,
        event_target,
        duration_seconds
    from new_rows
),

final as (
    select
        raw_row_key,
        raw_file,
        {{ raw_text_unless_typed('raw_event_id', 'event_id') }} as raw_event_id,
        event_id,
        customer_id,
        {{ raw_text_unless_typed('raw_event_ts', 'cast(event_at as ' ~ dbt.type_string() ~ ')') }} as raw_event_ts,
        event_at,
        event_type,
        event_target,
        duration_seconds,
        case
            when event_id is null then 'missing_event_id'
            when event_at is null then 'invalid_event_ts'
            when event_at > {{ dbt.current_timestamp() }} then 'future_event_ts'
            when duration_seconds < 0 then 'negative_duration'
            when event_type not in ('page_view', 'feature_click') or event_type is null then 'unknown_event_type'
        end as rejection_reason,
        {{ dbt.current_timestamp() }} as loaded_at
    from typed
)

select * from final
