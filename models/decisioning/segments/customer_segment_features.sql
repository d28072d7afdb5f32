-- One row per buying customer with the features the segments cluster on and the flags the next best
-- action rules read. Buyers outside the churn population (no order or visit in the last
-- churn_horizon_days) are lapsed: they already meet the churn definition, so they count as churn
-- probability 1. A model that was not fitted (see model_status) leaves its feature null; the segments
-- then cluster on the others.
with

rfm as (
    select * from {{ ref('customer_rfm') }}
),

engagement as (
    select * from {{ ref('customer_engagement') }}
),

clv as (
    select * from {{ ref('customer_clv') }}
),

churn_features as (
    select * from {{ ref('customer_churn_features') }}
),

churn_risk as (
    select * from {{ ref('customer_churn_risk') }}
),

value_score as (
    select * from {{ ref('customer_value_score') }}
),

churn_population as (
    select churn_features.customer_id
    from churn_features
    inner join rfm on churn_features.customer_id = rfm.customer_id and churn_features.cutoff_date = rfm.as_of_date
),

final as (
    select
        rfm.customer_id,
        rfm.recency_days,
        rfm.frequency,
        cast(rfm.monetary as {{ type_double() }}) as monetary,
        rfm.tenure_days,
        engagement.engagement_score,
        clv.clv_12m,
        case when churn_population.customer_id is null then 1.0 else churn_risk.churn_probability end
            as churn_probability,
        case when churn_population.customer_id is null then 'lapsed' else churn_risk.risk_tier end as risk_tier,
        case when value_score.is_high_value then 'high' else 'standard' end as value_band,
        rfm.as_of_date
    from rfm
    inner join engagement on rfm.customer_id = engagement.customer_id
    inner join value_score on rfm.customer_id = value_score.customer_id
    left join clv on rfm.customer_id = clv.customer_id
    left join churn_population on rfm.customer_id = churn_population.customer_id
    left join churn_risk on rfm.customer_id = churn_risk.customer_id
)

select * from final
