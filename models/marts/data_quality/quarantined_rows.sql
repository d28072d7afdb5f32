-- Every raw row that failed validation, with its reason: nothing is dropped silently.
with

customers as (
    select * from {{ ref('base_crm__customers') }}
),

orders as (
    select * from {{ ref('base_shop__orders') }}
),

events as (
    select * from {{ ref('base_web__events') }}
),

rejected_customers as (
    select
        'crm.customers' as source_table,
        raw_customer_id as record_id,
        customer_id,
        raw_signup_date as raw_timestamp,
        cast(null as {{ dbt.type_string() }}) as raw_amount,
        rejection_reason
    from customers
    where rejection_reason is not null
),

rejected_orders as (
    select
        'shop.orders' as source_table,
        raw_order_id as record_id,
        customer_id,
        raw_order_ts as raw_timestamp,
        raw_amount,
        rejection_reason
    from orders
    where rejection_reason is not null
),

rejected_events as (
    select
        'web.events' as source_table,
        raw_event_id as record_id,
        customer_id,
        raw_event_ts as raw_timestamp,
        cast(null as {{ dbt.type_string() }}) as raw_amount,
        rejection_reason
    from events
    where rejection_reason is not null
),

final as (
    select * from rejected_customers
    union all
    select * from rejected_orders
    union all
    select * from rejected_events
)

select * from final
