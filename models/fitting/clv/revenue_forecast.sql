-- Expected revenue in each of the next revenue_forecast.months months with its band: the customers who have
-- bought (the CLV model) and the customers expected to be acquired (the recent acquisition rate).
with

forecast as (
    select * from {{ ref('fit_revenue_forecast') }}
),

final as (
    select {{ cast_to_contract('forecast') }}
    from forecast
)

select * from final
