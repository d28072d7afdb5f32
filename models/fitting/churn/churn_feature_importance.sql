-- Global importance of each feature in the primary churn model.
-- The registered version this run scored with.
with

importance as (
    {{ registered_version('fit_churn_feature_importance', 'churn') }}
),

as_of as (
    select * from {{ ref('int_as_of_date') }}
),

dated as (
    select
        importance.*,
        as_of.as_of_date
    from importance
    cross join as_of
),

final as (
    select {{ cast_to_contract('dated') }}
    from dated
)

select * from final
