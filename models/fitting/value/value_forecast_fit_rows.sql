-- customer_value_features with a stable sample fraction per row, so that the value Python models filter what they
-- read (whole cutoffs, and a deterministic sample of their rows past value_forecast.max_fit_rows) before it leaves
-- the warehouse. A view: each model's filter scans the mart once, with nothing copied.
{{ config(materialized='view') }}
with

features as (
    select * from {{ ref('customer_value_features') }}
),

final as (
    select
        customer_id,
        cutoff_date,
        {%- for feature in var('value_forecast_numeric_features') + var('value_forecast_categorical_features') %}
            {{ feature }},
        {%- endfor %}
        value_score,
        rfm_score,
        spend_next_90d,
        spend_next_180d,
        usage_minutes_next_30d,
        {{ stable_fraction(dbt.concat(['customer_id', "'|'", 'cutoff_date'])) }} as sample_fraction
    from features
)

select * from final
