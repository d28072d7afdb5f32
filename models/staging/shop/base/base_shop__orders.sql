-- Every raw order row, typed, with the first reason it fails validation (null when it passes).
with

source as (
    select * from {{ source('shop', 'orders') }}
),

customers as (
    select * from {{ ref('stg_crm__customers') }}
),

typed as (
    select
        order_id as raw_order_id,
        nullif(trim(order_id), '') as order_id,
        nullif(trim(customer_id), '') as customer_id,
        order_ts as raw_order_ts,
        {{ dbt.safe_cast('order_ts', api.Column.translate_type('timestamp')) }} as ordered_at,
        cast(amount as decimal(18, 2)) as amount,
        upper(trim(currency)) as currency,
        lower(trim(status)) as status
    from source
),

checked as (
    select
        typed.*,
        case
            when typed.order_id is null then 'missing_order_id'
            when typed.customer_id is null then 'missing_customer_id'
            when typed.ordered_at is null then 'invalid_order_ts'
            when typed.ordered_at > {{ dbt.current_timestamp() }} then 'future_order_ts'
            when typed.amount is null then 'missing_amount'
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
    select
        *,
        row_number() over (
            partition by order_id
            order by row_check asc nulls first, ordered_at asc, amount asc, customer_id asc, status asc
        ) as record_rank
    from checked
),

final as (
    select
        raw_order_id,
        order_id,
        customer_id,
        raw_order_ts,
        ordered_at,
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
