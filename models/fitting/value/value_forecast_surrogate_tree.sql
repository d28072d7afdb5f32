-- The value forecast as a decision tree people can read: each leaf's rule, its rows and their mean forecast
-- 180-day spend, and the tree's fidelity to the model. The registered version this run scored with.
with

leaves as (
    {{ registered_version('fit_value_forecast_surrogate_tree', 'value') }}
),

as_of as (
    select * from {{ ref('int_as_of_date') }}
),

dated as (
    select
        leaves.*,
        as_of.as_of_date
    from leaves
    cross join as_of
),

final as (
    select {{ cast_to_contract('dated') }}
    from dated
)

select * from final
