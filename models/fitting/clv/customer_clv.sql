-- Customer lifetime value per customer with a completed order, as of the as-of date.
with

scores as (
    select * from {{ ref('fit_clv_scores') }}
),

final as (
    select
        cast(customer_id as {{ dbt.type_string() }}) as customer_id,
        cast(p_alive as {{ dbt.type_float() }}) as p_alive,
        cast(expected_purchases_30d as {{ dbt.type_float() }}) as expected_purchases_30d,
        cast(expected_purchases_90d as {{ dbt.type_float() }}) as expected_purchases_90d,
        cast(expected_purchases_365d as {{ dbt.type_float() }}) as expected_purchases_365d,
        cast(expected_order_value as {{ dbt.type_float() }}) as expected_order_value,
        cast(clv_3m as {{ dbt.type_float() }}) as clv_3m,
        cast(clv_6m as {{ dbt.type_float() }}) as clv_6m,
        cast(clv_12m as {{ dbt.type_float() }}) as clv_12m,
        cast(clv_decile as integer) as clv_decile,
        cast(clv_model as {{ dbt.type_string() }}) as clv_model,
        cast(as_of_date as date) as as_of_date
    from scores
)

select * from final
