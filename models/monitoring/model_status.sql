-- What every fitted model could do with the data at hand: fitted (and how it was validated) or skipped,
-- why, and what data it would need. A skipped model publishes no scores; everything else still builds.
with

clv as (
    select * from {{ ref('fit_clv_model_status') }}
),

churn_versions as (
    select * from {{ ref('fit_churn_model_status') }}
),

decisions as (
    select * from {{ ref('model_retrain_decisions') }}
),

churn as (
    select
        churn_versions.model_family,
        churn_versions.model_name,
        churn_versions.status,
        churn_versions.is_selected,
        churn_versions.validation,
        churn_versions.reason,
        churn_versions.requirement
    from churn_versions
    inner join decisions
        on
            decisions.model_family = 'churn'
            and churn_versions.model_version = decisions.model_version
),

segments as (
    select * from {{ ref('fit_segment_model_status') }}
),

as_of as (
    select * from {{ ref('int_as_of_date') }}
),

statuses as (
    select * from clv
    union all
    select * from churn
    union all
    select * from segments
),

dated as (
    select
        statuses.*,
        as_of.as_of_date
    from statuses
    cross join as_of
),

final as (
    select {{ cast_to_contract('dated') }}
    from dated
)

select * from final
