-- One row per valid CRM customer signed up by the as-of date, with their order history summary.
with

customers as (
    select * from {{ ref('stg_crm__customers') }}
),

order_summary as (
    select * from {{ ref('int_orders_summarized_by_customer') }}
),

as_of as (
    select * from {{ ref('int_as_of_date') }}
),

final as (
    select
        customers.customer_id,
        customers.email,
        customers.is_email_valid,
        customers.first_name,
        customers.country,
        customers.acquisition_channel,
        customers.plan,
        customers.signup_date,
        cast({{ dbt.datediff('customers.signup_date', 'as_of.as_of_date', 'day') }} as integer) as tenure_days,
        order_summary.first_order_date,
        order_summary.last_order_date,
        cast(coalesce(order_summary.order_count, 0) as integer) as lifetime_orders,
        cast(coalesce(order_summary.total_revenue, 0) as decimal(18, 2)) as lifetime_revenue,
        order_summary.customer_id is not null as is_buyer,
        as_of.as_of_date
    from customers
    cross join as_of
    left join order_summary on customers.customer_id = order_summary.customer_id
    where customers.signup_date <= as_of.as_of_date
)

select * from final
