-- One row per customer and day with any order or identified web activity, up to the as-of date.
-- Incremental: a customer's rows are a function of their valid orders and session days alone, so a run deletes
-- and recomputes the rows of the customers in customers_with_new_activity.
-- The incremental run reads the validated events (customers_with_new_activity):
-- depends_on: {{ ref('int_web_events_validated') }}
{{ config(
    materialized='incremental',
    incremental_strategy='append',
    on_schema_change='fail',
    pre_hook="{% if is_incremental() %}{{ delete_rows(
        'select distinct changed.customer_id from (' ~ customers_with_new_activity() ~ ') as changed', ['customer_id']
    ) }}{% endif %}",
) }}
with

orders as (
    select * from {{ ref('int_orders_validated') }}
    where rejection_reason is null
    {% if is_incremental() -%}
        and customer_id in ({{ customers_with_new_activity() }})
    {%- endif %}
),

session_days as (
    select * from {{ ref('int_web_events_rolled_up_to_session_days') }}
    {% if is_incremental() -%}
        where customer_id in ({{ customers_with_new_activity() }})
    {%- endif %}
),

as_of as (
    select * from {{ ref('int_as_of_date') }}
),

daily_orders as (
    select
        orders.customer_id,
        orders.order_date as activity_date,
        count(*) as orders,
        sum(orders.amount) as revenue
    from orders
    cross join as_of
    where orders.is_revenue and orders.order_date <= as_of.as_of_date
    group by orders.customer_id, orders.order_date
),

daily_web as (
    select
        session_days.customer_id,
        session_days.activity_date,
        count(*) as sessions,
        sum(session_days.events) as events,
        sum(session_days.pages_viewed) as pages_viewed,
        sum(session_days.features_clicked) as features_clicked,
        sum(session_days.usage_seconds) / cast(60 as {{ type_double() }}) as usage_minutes,
        max(session_days.last_event_at) as last_event_at
    from session_days
    cross join as_of
    where session_days.activity_date <= as_of.as_of_date
    group by session_days.customer_id, session_days.activity_date
),

final as (
    select
        coalesce(daily_orders.customer_id, daily_web.customer_id) as customer_id,
        coalesce(daily_orders.activity_date, daily_web.activity_date) as activity_date,
        coalesce(daily_orders.orders, 0) as orders,
        coalesce(daily_orders.revenue, 0) as revenue,
        coalesce(daily_web.sessions, 0) as sessions,
        coalesce(daily_web.events, 0) as events,
        coalesce(daily_web.pages_viewed, 0) as pages_viewed,
        coalesce(daily_web.features_clicked, 0) as features_clicked,
        coalesce(daily_web.usage_minutes, 0) as usage_minutes,
        daily_web.last_event_at,
        {{ dbt.current_timestamp() }} as validated_at
    from daily_orders
    full outer join daily_web
        on
            daily_orders.customer_id = daily_web.customer_id
            and daily_orders.activity_date = daily_web.activity_date
)

select * from final
