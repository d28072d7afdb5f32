-- What every fitted model could do with the data at hand: fitted (and how it was validated) or skipped,
-- why, and what data it would need. A skipped model publishes no scores; everything else still builds.
-- A registered family's status is its registered version's (the validation that version had).
{%- set status_columns = model.columns.keys() | reject('equalto', 'as_of_date') | join(', ') %}
with

clv as (
    {{ registered_version('fit_clv_model_status', 'clv') }}
),

churn as (
    {{ registered_version('fit_churn_model_status', 'churn') }}
),

value as (
    {{ registered_version('fit_value_forecast_status', 'value') }}
),

segments as (
    {{ registered_version('fit_segment_model_status', 'segments') }}
),

as_of as (
    select * from {{ ref('int_as_of_date') }}
),

statuses as (
    select {{ status_columns }} from clv
    union all
    select {{ status_columns }} from churn
    union all
    select {{ status_columns }} from value
    union all
    select {{ status_columns }} from segments
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
