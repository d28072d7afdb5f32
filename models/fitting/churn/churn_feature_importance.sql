-- Global importance of each feature in the primary churn model.
-- The rows of the registered version this run scored with.
with

all_versions as (
    select * from {{ ref('fit_churn_feature_importance') }}
),

decisions as (
    select * from {{ ref('model_retrain_decisions') }}
    where model_family = 'churn'
),

importance as (
    select all_versions.*
    from all_versions
    inner join decisions on all_versions.model_version = decisions.model_version
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
