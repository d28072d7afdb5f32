-- Every score of every customer in one row, as of the as-of date: what BI tools, the API and the
-- score history read. CLV, churn, segment and action are null for customers without a completed order; the
-- value forecast when none could be fitted.
with

customers as (
    select * from {{ ref('dim_customers') }}
),

value_score as (
    select * from {{ ref('customer_value_score') }}
),

rfm as (
    select * from {{ ref('customer_rfm') }}
),

clv as (
    select * from {{ ref('customer_clv') }}
),

value_forecast as (
    select * from {{ ref('customer_value_forecast') }}
),

segment_features as (
    select * from {{ ref('customer_segment_features') }}
),

churn_risk as (
    select * from {{ ref('customer_churn_risk') }}
),

segments as (
    select * from {{ ref('customer_segments') }}
),

actions as (
    select * from {{ ref('customer_next_best_action') }}
),

as_of as (
    select * from {{ ref('int_as_of_date') }}
),

final as (
    select
        cast(customers.customer_id as {{ dbt.type_string() }}) as customer_id,
        cast(value_score.engagement_score as {{ type_double() }}) as engagement_score,
        cast(value_score.value_score as {{ type_double() }}) as value_score,
        value_score.is_high_value,
        cast(value_forecast.forecast_spend_90d as {{ type_double() }}) as forecast_spend_90d,
        cast(value_forecast.forecast_spend_180d as {{ type_double() }}) as forecast_spend_180d,
        cast(value_forecast.value_trend as {{ dbt.type_string() }}) as value_trend,
        value_forecast.is_high_value_forecast,
        cast(rfm.rfm_segment as {{ dbt.type_string() }}) as rfm_segment,
        cast(clv.p_alive as {{ type_double() }}) as p_alive,
        cast(clv.clv_12m as {{ type_double() }}) as clv_12m,
        cast(clv.clv_decile as integer) as clv_decile,
        cast(clv.purchase_probability as {{ type_double() }}) as purchase_probability,
        clv.expected_next_order_date,
        -- From the segment features, not the segments: churn scores stand even when no segments were fitted.
        cast(segment_features.churn_probability as {{ type_double() }}) as churn_probability,
        cast(segment_features.risk_tier as {{ dbt.type_string() }}) as risk_tier,
        cast(churn_risk.driver_1 as {{ dbt.type_string() }}) as churn_driver_1,
        cast(churn_risk.driver_2 as {{ dbt.type_string() }}) as churn_driver_2,
        cast(churn_risk.driver_3 as {{ dbt.type_string() }}) as churn_driver_3,
        cast(churn_risk.median_days_to_churn as {{ type_double() }}) as median_days_to_churn,
        cast(churn_risk.survival_90d as {{ type_double() }}) as survival_90d,
        cast(segments.segment_name as {{ dbt.type_string() }}) as segment_name,
        cast(segments.segment_description as {{ dbt.type_string() }}) as segment_description,
        cast(actions.next_best_action as {{ dbt.type_string() }}) as next_best_action,
        cast(actions.expected_value_saved as {{ type_double() }}) as expected_value_saved,
        actions.is_funded as is_action_funded,
        actions.recommended_contact_date,
        as_of.as_of_date
    from customers
    cross join as_of
    inner join value_score on customers.customer_id = value_score.customer_id
    left join rfm on customers.customer_id = rfm.customer_id
    left join clv on customers.customer_id = clv.customer_id
    left join value_forecast on customers.customer_id = value_forecast.customer_id
    left join segment_features on customers.customer_id = segment_features.customer_id
    left join churn_risk on customers.customer_id = churn_risk.customer_id
    left join segments on customers.customer_id = segments.customer_id
    left join actions on customers.customer_id = actions.customer_id
)

select * from final
