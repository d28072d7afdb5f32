-- Every raw order row, typed, with the first reason it fails validation (null when it passes).
-- Incremental: a run validates only the raw rows not loaded before (raw_row_key), together with the
-- loaded rows that share an order id with them, so duplicates rank exactly as in a full refresh.
-- The raw file is append-only; a row is checked against the CRM and the clock when it loads, and a row
-- quarantined as unknown_customer is checked again once that customer arrives in the CRM.
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
        order_id as raw_order_id,
        nullif(trim(order_id), '') as order_id,
        nullif(trim(customer_id), '') as customer_id,
        order_ts as raw_order_ts,
        {{ dbt.safe_cast('order_ts', api.Column.translate_type('timestamp')) }} as ordered_at,
        cast(amount as {{ dbt.type_string() }}) as raw_amount,
        -- A plain decimal number only (the import writes amounts as text; a generated file as numbers):
        -- NaN, infinity, exponents and anything too large for the column are invalid_amount, not a crash.
        case
            when regexp_full_match(trim(cast(amount as {{ dbt.type_string() }})), '-?[0-9]+(\.[0-9]+)?')
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

{%- if is_incremental() %}

-- Loaded rows sharing an order id with a new row, with the check they passed or failed.
reloaded as (
    select
        loaded.raw_row_key,
        loaded.raw_order_id,
        loaded.order_id,
        loaded.customer_id,
        loaded.raw_order_ts,
        loaded.ordered_at,
        loaded.raw_amount,
        loaded.amount,
        loaded.currency,
        loaded.status,
        nullif(loaded.rejection_reason, 'duplicate_order_id') as row_check
    from {{ this }} as loaded
    where
        loaded.order_id in (select checked.order_id from checked)
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
            partition by order_id
            order by
                row_check asc nulls first, ordered_at asc, amount asc, customer_id asc, status asc, raw_row_key asc
        ) as record_rank
    from batch
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
