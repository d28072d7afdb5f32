-- Every raw order row, typed, with the first reason it fails validation (null when it passes).
-- Incremental (rows_to_validate, rank_with_loaded_rows): a run validates the raw rows not loaded before and
-- those waiting for their customer, ranked for duplicates with the loaded rows that share their id, so the
-- table equals a full refresh. A row is checked against the CRM and the clock when it is validated.
{{ config(materialized='incremental', unique_key='raw_row_key', on_schema_change='fail') }}
with

source as (
    select * from {{ source('shop', 'orders') }}
),

keyed as (
    select
        *,
        {{ raw_row_key(['order_id', 'customer_id', 'order_ts', 'amount', 'currency', 'status']) }} as raw_row_key
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
        order_id as raw_order_id,
        nullif(trim(order_id), '') as order_id,
        nullif(trim(customer_id), '') as customer_id,
        order_ts as raw_order_ts,
        {{ dbt.safe_cast('order_ts', api.Column.translate_type('timestamp')) }} as ordered_at,
        cast(amount as {{ dbt.type_string() }}) as raw_amount,
        -- A plain decimal number only (the import writes amounts as text; a generated file as numbers):
        -- NaN, infinity, exponents and anything too large for the column are invalid_amount, not a crash.
        case
            when {{ is_full_match('trim(cast(amount as ' ~ dbt.type_string() ~ '))', '-?[0-9]+(\.[0-9]+)?') }}
                then {{ dbt.safe_cast('trim(cast(amount as ' ~ dbt.type_string() ~ '))', 'decimal(18, 2)') }}
        end as amount,
        upper(trim(currency)) as currency,
        lower(trim(status)) as status
    from new_rows
),

checked as (
    select
        typed.*,
        case
            when typed.order_id is null then 'missing_order_id'
            when typed.customer_id is null then 'missing_customer_id'
            when typed.ordered_at is null then 'invalid_order_ts'
            when typed.ordered_at > {{ dbt.current_timestamp() }} then 'future_order_ts'
            when typed.raw_amount is null then 'missing_amount'
            when typed.amount is null then 'invalid_amount'
            when typed.amount < 0 then 'negative_amount'
            when typed.status not in ('completed', 'cancelled', 'refunded') or typed.status is null
                then 'invalid_status'
            when customers.customer_id is null then 'unknown_customer'
            when cast(typed.ordered_at as date) < customers.signup_date then 'order_before_signup'
        end as row_check
    from typed
    left join customers on typed.customer_id = customers.customer_id
),

ranked as (
    {{ rank_with_loaded_rows(
        'checked',
        id_column='order_id',
        order_by='batch.ordered_at asc, batch.amount asc, batch.customer_id asc, batch.status asc',
        duplicate_reason='duplicate_order_id',
    ) }}
),

final as (
    select
        raw_row_key,
        raw_order_id,
        order_id,
        customer_id,
        raw_order_ts,
        ordered_at,
        raw_amount,
        amount,
        currency,
        status,
        coalesce(
            row_check,
            case when record_rank > 1 then 'duplicate_order_id' end
        ) as rejection_reason
    from ranked
)

select * from final
