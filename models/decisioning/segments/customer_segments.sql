-- Segment of every buying customer as of the as-of date, with the features it was clustered on.
with

segments as (
    select * from {{ ref('fit_customer_segments') }}
),

features as (
    select * from {{ ref('customer_segment_features') }}
),

final as (
    select
        cast(features.customer_id as {{ dbt.type_string() }}) as customer_id,
        cast(segments.segment_name as {{ dbt.type_string() }}) as segment_name,
        cast(segments.segment_description as {{ dbt.type_string() }}) as segment_description,
        cast(segments.distance_to_centroid as {{ dbt.type_float() }}) as distance_to_centroid,
        cast(features.recency_days as integer) as recency_days,
        cast(features.frequency as integer) as frequency,
        cast(features.monetary as {{ dbt.type_float() }}) as monetary,
        cast(features.tenure_days as integer) as tenure_days,
        cast(features.engagement_score as {{ dbt.type_float() }}) as engagement_score,
        cast(features.clv_12m as {{ dbt.type_float() }}) as clv_12m,
        cast(features.churn_probability as {{ dbt.type_float() }}) as churn_probability,
        cast(features.risk_tier as {{ dbt.type_string() }}) as risk_tier,
        cast(features.value_band as {{ dbt.type_string() }}) as value_band,
        cast(features.as_of_date as date) as as_of_date
    from features
    inner join segments on features.customer_id = segments.customer_id
)

select * from final
