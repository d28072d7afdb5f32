-- Customer lifetime value per customer with a completed order, as of the as-of date.
with

scores as (
    select * from {{ ref('fit_clv_scores') }}
),

dated as (
    select
        scores.*,
        {{ dbt.dateadd('day', 'cast(round(scores.days_to_next_order) as integer)', 'scores.as_of_date') }}
            as expected_next_order_date
    from scores
),

final as (
    select {{ cast_to_contract('dated') }}
    from dated
)

select * from final
