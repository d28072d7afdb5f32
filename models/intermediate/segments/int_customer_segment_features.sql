-- One row per buying customer with the features the segments cluster on and the flags the next best
-- action rules read. Customers without a churn score are lapsed: no order or visit in the last
-- churn_horizon_days, so they already meet the churn definition and count as churn probability 1.
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

churn_risk as (
    select * from {{ ref('customer_churn_risk') }}
),

value_score as (
    select * from {{ ref('customer_value_score') }}
),

final as (
    select
        rfm.customer_id,
        rfm.recency_days,
        rfm.frequency,
        cast(rfm.monetary as {{ dbt.type_float() }}) as monetary,
        rfm.tenure_days,
        engagement.engagement_score,
        clv.clv_12m,
        coalesce(churn_risk.churn_probability, 1.0) as churn_probability,
        coalesce(churn_risk.risk_tier, 'lapsed') as risk_tier,
        case when value_score.is_high_value then 'high' else 'standard' end as value_band,
        rfm.as_of_date
    from rfm
    inner join engagement on rfm.customer_id = engagement.customer_id
    inner join clv on rfm.customer_id = clv.customer_id
    inner join value_score on rfm.customer_id = value_score.customer_id
    left join churn_risk on rfm.customer_id = churn_risk.customer_id
)

select * from final
