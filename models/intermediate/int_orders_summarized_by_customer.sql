-- Per customer: completed orders and revenue up to the as-of date.
with

orders as (
    select * from {{ ref('int_orders_validated') }}
    where rejection_reason is null
),

as_of as (
    select * from {{ ref('int_as_of_date') }}
),

revenue_orders as (
    select
        orders.customer_id,
        orders.order_date,
        orders.amount
    from orders
    cross join as_of
    where orders.is_revenue and orders.order_date <= as_of.as_of_date
),

final as (
    select
        customer_id,
        min(order_date) as first_order_date,
        max(order_date) as last_order_date,
        count(*) as order_count,
        count(distinct order_date) as order_days,
        sum(amount) as total_revenue,
        {{ float_avg('amount') }} as avg_order_value
    from revenue_orders
    group by customer_id
)

select * from final
