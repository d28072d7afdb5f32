-- Customer lifetime value per customer with a completed order, as of the as-of date.
with

scores as (
    select * from {{ ref('fit_clv_scores') }}
),

final as (
    select {{ cast_to_contract('scores') }}
    from scores
)

select * from final
