-- Every raw order row (the raw file's and the live log's), typed, with the first check of its own it fails
-- (null when it passes); the checks that need the CRM or other rows are int_orders_validated's. Incremental
-- (raw_files_to_load, new_raw_rows): a run reads only the raw files holding rows it has not loaded, types and
-- checks only the raw rows not loaded before, so the clock is read when a row loads, and stamps them loaded_at.
-- customer_scoring.ingest applies the same checks to live items.
{%- set raw_columns = ['order_id', 'customer_id', 'order_ts', 'amount', 'currency', 'status'] %}
{%- set raw_rows = raw_with_live_rows(source('shop', 'orders'), 'orders', raw_columns, 'order_id', text_columns=['amount']) %}
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
        order_id as raw_order_id,
        nullif(trim(order_id), '') as order_id,
        nullif(trim(customer_id), '') as customer_id,
        order_ts as raw_order_ts,
        {{ try_cast('order_ts', api.Column.translate_type('timestamp')) }} as ordered_at,
        amount as raw_amount,
        -- A plain decimal number only (amounts are text from here: a generated file's numbers cast, the import's
        -- and the live log's as written): NaN, infinity, exponents and anything too large for the column are
        -- invalid_amount, not a crash.
        case
            when {{ is_full_match('trim(amount)', '-?[0-9]+(\.[0-9]+)?') }}
                then {{ try_cast('trim(amount)', 'decimal(18, 2)') }}
        end as amount,
        upper(trim(currency)) as currency,
        lower(trim(status)) as status
    from new_rows
),

final as (
    select
        raw_row_key,
        raw_file,
        {{ raw_text_unless_typed('raw_order_id', 'order_id') }} as raw_order_id,
        order_id,
        customer_id,
        {{ raw_text_unless_typed('raw_order_ts', 'cast(ordered_at as ' ~ dbt.type_string() ~ ')') }} as raw_order_ts,
        ordered_at,
        raw_amount,
        amount,
        currency,
        status,
        case
            when order_id is null then 'missing_order_id'
            when customer_id is null then 'missing_customer_id'
            when ordered_at is null then 'invalid_order_ts'
            when ordered_at > {{ dbt.current_timestamp() }} then 'future_order_ts'
            when raw_amount is null then 'missing_amount'
            when amount is null then 'invalid_amount'
            when amount < 0 then 'negative_amount'
            when status not in ('completed', 'cancelled', 'refunded') or status is null then 'invalid_status'
        end as rejection_reason,
        {{ dbt.current_timestamp() }} as loaded_at
    from typed
)

select * from final
