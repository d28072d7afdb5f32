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

final as (
    select
        cast(statuses.model_family as {{ dbt.type_string() }}) as model_family,
        cast(statuses.model_name as {{ dbt.type_string() }}) as model_name,
        cast(statuses.status as {{ dbt.type_string() }}) as status,
        cast(statuses.is_selected as boolean) as is_selected,
        cast(statuses.validation as {{ dbt.type_string() }}) as validation,
        cast(statuses.reason as {{ dbt.type_string() }}) as reason,
        cast(statuses.requirement as {{ dbt.type_string() }}) as requirement,
        as_of.as_of_date
    from statuses
    cross join as_of
)

select * from final
