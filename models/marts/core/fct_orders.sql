-- One row per valid order placed up to the as-of date, numbered per customer.
with

orders as (
    select * from {{ ref('int_orders_validated') }}
    where rejection_reason is null
),

as_of as (
    select * from {{ ref('int_as_of_date') }}
),

final as (
    select
        orders.order_id,
        orders.customer_id,
        orders.ordered_at,
        orders.order_date,
        orders.amount,
        orders.currency,
        orders.status,
        orders.is_revenue,
        cast(row_number() over (
            partition by orders.customer_id order by orders.ordered_at, orders.order_id
        ) as integer) as customer_order_number
    from orders
    cross join as_of
    where orders.order_date <= as_of.as_of_date
)

select * from final
