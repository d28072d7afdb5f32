-- The churn model as a decision tree people can read: each leaf's rule, its rows and their mean churn
-- probability, and the tree's fidelity to the model. The registered version this run scored with.
with

leaves as (
    {{ registered_version('fit_churn_surrogate_tree', 'churn') }}
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
