-- customer_churn_features with a stable sample fraction per row, so that the churn Python models filter
-- what they read (whole cutoffs, and a deterministic sample of the rest) before it leaves the warehouse.
-- A view: each model's filter scans the mart once, with nothing copied.
{{ config(materialized='view') }}
with

features as (
    select * from {{ ref('customer_churn_features') }}
),

final as (
    select
        customer_id,
        cutoff_date,
        {%- for feature in var('churn_numeric_features') + var('churn_categorical_features') %}
            {{ feature }},
        {%- endfor %}
        churned,
        days_to_churn,
        churn_observed,
        {{ stable_fraction(dbt.concat(['customer_id', "'|'", 'cutoff_date'])) }} as sample_fraction
    from features
)

select * from final
