-- Every raw row that failed validation, with its reason: nothing is dropped silently. A row fails either
-- its source's own checks (base_*) or, having passed them, the checks against the CRM and the other rows
-- (int_*_validated); the raw text comes from the base model either way, read once (DuckDB materializes a
-- CTE read twice: 56 M events at 1M customers).
with

customers as (
    select * from {{ ref('base_crm__customers') }}
),

orders as (
    select * from {{ ref('base_shop__orders') }}
),

validated_orders as (
    select * from {{ ref('int_orders_validated') }}
),

events as (
    select * from {{ ref('base_web__events') }}
),

validated_events as (
    select * from {{ ref('int_web_events_validated') }}
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
        coalesce(orders.raw_order_id, orders.order_id) as record_id,
        orders.customer_id,
        coalesce(orders.raw_order_ts, cast(orders.ordered_at as {{ dbt.type_string() }})) as raw_timestamp,
        orders.raw_amount,
        coalesce(orders.rejection_reason, validated_orders.rejection_reason) as rejection_reason
    from orders
    left join validated_orders
        on
            orders.raw_row_key = validated_orders.raw_row_key
            and validated_orders.rejection_reason is not null
    where orders.rejection_reason is not null or validated_orders.rejection_reason is not null
),

rejected_events as (
    select
        'web.events' as source_table,
        coalesce(events.raw_event_id, events.event_id) as record_id,
        events.customer_id,
        coalesce(events.raw_event_ts, cast(events.event_at as {{ dbt.type_string() }})) as raw_timestamp,
        cast(null as {{ dbt.type_string() }}) as raw_amount,
        coalesce(events.rejection_reason, validated_events.rejection_reason) as rejection_reason
    from events
    left join validated_events
        on
            events.raw_row_key = validated_events.raw_row_key
            and validated_events.rejection_reason is not null
    where events.rejection_reason is not null or validated_events.rejection_reason is not null
),

final as (
    select * from rejected_customers
    union all
    select * from rejected_orders
    union all
    select * from rejected_events
)

select * from final
