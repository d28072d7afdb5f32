-- Recency, frequency and monetary value per buying customer as of the as-of date, scored 1-5 by
-- quintile and mapped to a named segment by the rfm_segment_map seed.
with

order_summary as (
    select * from {{ ref('int_orders_summarized_by_customer') }}
),

as_of as (
    select * from {{ ref('int_as_of_date') }}
),

segment_map as (
    select * from {{ ref('rfm_segment_map') }}
),

measures as (
    select
        order_summary.customer_id,
        cast({{ dbt.datediff('order_summary.last_order_date', 'as_of.as_of_date', 'day') }} as integer)
            as recency_days,
        cast(order_summary.order_count as integer) as frequency,
        cast(order_summary.total_revenue as decimal(18, 2)) as monetary,
        {{ round_to_cents('order_summary.avg_order_value') }} as avg_order_value,
        cast({{ dbt.datediff('order_summary.first_order_date', 'as_of.as_of_date', 'day') }} as integer)
            as tenure_days,
        as_of.as_of_date
    from order_summary
    cross join as_of
),

scored as (
    select
        *,
        cast({{ quintile_score('recency_days', higher_is_better=false) }} as integer) as r_score,
        cast({{ quintile_score('frequency') }} as integer) as f_score,
        cast({{ quintile_score('monetary') }} as integer) as m_score
    from measures
),

combined as (
    select
        *,
        -- F and M move together; their mean, rounded half up, is the value axis of the segment grid.
        cast(floor((f_score + m_score + 1) / 2.0) as integer) as fm_score
    from scored
),

final as (
    select
        combined.customer_id,
        combined.recency_days,
        combined.frequency,
        combined.monetary,
        combined.avg_order_value,
        combined.tenure_days,
        combined.r_score,
        combined.f_score,
        combined.m_score,
        combined.fm_score,
        {{ dbt.concat([
            'cast(combined.r_score as ' ~ dbt.type_string() ~ ')',
            'cast(combined.f_score as ' ~ dbt.type_string() ~ ')',
            'cast(combined.m_score as ' ~ dbt.type_string() ~ ')',
        ]) }} as rfm_cell,
        segment_map.rfm_segment,
        segment_map.segment_description,
        combined.as_of_date
    from combined
    left join segment_map
        on combined.r_score = segment_map.r_score and combined.fm_score = segment_map.fm_score
)

select * from final
