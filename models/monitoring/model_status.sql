-- What every fitted model could do with the data at hand: fitted (and how it was validated) or skipped,
-- why, and what data it would need. A skipped model publishes no scores; everything else still builds.
with

clv as (
    select * from {{ ref('fit_clv_model_status') }}
),

churn as (
    select * from {{ ref('fit_churn_model_status') }}
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
