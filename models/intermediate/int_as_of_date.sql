-- The single date every mart is computed as of: the as_of_date var, else the latest clean activity date.
{%- set as_of_literal = "'" ~ var('as_of_date') ~ "'" if var('as_of_date') else 'null' %}
with

orders as (
    select * from {{ ref('int_orders_validated') }}
    where rejection_reason is null
),

events as (
    select * from {{ ref('int_web_events_validated') }}
    where rejection_reason is null
),

activity_dates as (
    select order_date as activity_date from orders
    union all
    select event_date as activity_date from events
),

final as (
    select coalesce(cast({{ as_of_literal }} as date), max(activity_date)) as as_of_date
    from activity_dates
)

select * from final
