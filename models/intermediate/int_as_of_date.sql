-- The single date every mart is computed as of: the as_of_date var, else the latest clean activity date.
with

orders as (
    select * from {{ ref('stg_shop__orders') }}
),

events as (
    select * from {{ ref('stg_web__events') }}
),

activity_dates as (
    select order_date as activity_date from orders
    union all
    select event_date as activity_date from events
),

final as (
    select
        {% if var('as_of_date') -%}
            cast('{{ var("as_of_date") }}' as date) as as_of_date
        {%- else -%}
            max(activity_date) as as_of_date
        {%- endif %}
    from activity_dates
)

select * from final
