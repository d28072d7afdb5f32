-- Segment of every buying customer as of the as-of date, with the features it was clustered on.
with

segments as (
    select * from {{ ref('fit_customer_segments') }}
),

features as (
    select * from {{ ref('customer_segment_features') }}
),

segmented as (
    select
        features.*,
        segments.segment_name,
        segments.segment_description,
        segments.distance_to_centroid
    from features
    inner join segments on features.customer_id = segments.customer_id
),

final as (
    select {{ cast_to_contract('segmented') }}
    from segmented
)

select * from final
