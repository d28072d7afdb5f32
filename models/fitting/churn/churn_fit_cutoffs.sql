-- Rows per cutoff of customer_churn_features, and how many are labelled: what the churn Python models
-- need to pick the cutoffs they read in full and the share of the rest they sample.
with

features as (
    select * from {{ ref('customer_churn_features') }}
),

final as (
    select
        cutoff_date,
        count(*) as feature_rows,
        count(churned) as labelled_rows
    from features
    group by cutoff_date
)

select * from final
