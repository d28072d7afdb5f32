-- One row per raw order that passes the checks its own source can tell; int_orders_validated checks the
-- rest (customer, duplicates).
with

checked as (
    select * from {{ ref('base_shop__orders') }}
),

final as (
    select
        raw_row_key,
        loaded_at,
        order_id,
        customer_id,
        ordered_at,
        cast(ordered_at as date) as order_date,
        amount,
        currency,
        status,
        status = 'completed' as is_revenue
    from checked
    where rejection_reason is null
)

select * from final
