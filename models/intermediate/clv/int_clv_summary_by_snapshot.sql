-- Per customer and snapshot date: the buy-till-you-die summary (repeat purchase days, recency, age and
-- mean repeat spend, all in days), their monthly spend sequence (spend_month_1: the 30 days up to the snapshot,
-- spend_month_2 the 30 before them, ... for clv_sequence_months), what they bought in the next horizon_days,
-- and their purchase days in the
-- first purchase_propensity_days of it (the window the purchase probability is validated on). Three snapshots:
-- full (the as-of date), calibration (one horizon earlier) and train (two horizons earlier), where the
-- horizon is the last clv_holdout_share of the observed period.
with

daily_activity as (
    select * from {{ ref('int_customer_daily_activity') }}
),

as_of as (
    select * from {{ ref('int_as_of_date') }}
),

purchase_days as (
    select
        customer_id,
        activity_date as purchase_date,
        revenue
    from daily_activity
    where orders > 0
),

observation as (
    select
        as_of.as_of_date,
        cast(floor(
            {{ var('clv_holdout_share') }} * {{ dbt.datediff('min(purchase_days.purchase_date)', 'as_of.as_of_date', 'day') }}
        ) as integer) as horizon_days
    from purchase_days
    cross join as_of
    group by as_of.as_of_date
),

snapshots as (
    select
        'full' as snapshot_name,
        as_of_date as snapshot_date,
        horizon_days
    from observation
    union all
    select
        'calibration' as snapshot_name,
        {{ dbt.dateadd('day', '-horizon_days', 'as_of_date') }} as snapshot_date,
        horizon_days
    from observation
    union all
    select
        'train' as snapshot_name,
        {{ dbt.dateadd('day', '-2 * horizon_days', 'as_of_date') }} as snapshot_date,
        horizon_days
    from observation
),

history as (
    select
        snapshots.snapshot_name,
        snapshots.snapshot_date,
        snapshots.horizon_days,
        purchase_days.customer_id,
        purchase_days.purchase_date,
        purchase_days.revenue,
        {{ dbt.datediff('purchase_days.purchase_date', 'snapshots.snapshot_date', 'day') }} as days_before,
        row_number() over (
            partition by snapshots.snapshot_name, purchase_days.customer_id order by purchase_days.purchase_date
        ) as purchase_number
    from snapshots
    inner join purchase_days on snapshots.snapshot_date >= purchase_days.purchase_date
),

summarized as (
    select
        snapshot_name,
        snapshot_date,
        horizon_days,
        customer_id,
        min(purchase_date) as first_purchase_date,
        max(purchase_date) as last_purchase_date,
        count(*) - 1 as frequency,
        sum(revenue) as total_revenue,
        {%- for month in range(1, var('clv_sequence_months') + 1) %}
            sum(case when days_before >= {{ 30 * (month - 1) }} and days_before < {{ 30 * month }} then revenue else 0 end)
                as spend_month_{{ month }},
        {%- endfor %}
        {{ float_avg('case when purchase_number > 1 then revenue end') }} as monetary_value
    from history
    group by snapshot_name, snapshot_date, horizon_days, customer_id
),

future as (
    select
        snapshots.snapshot_name,
        purchase_days.customer_id,
        count(*) as future_purchases,
        sum(purchase_days.revenue) as future_revenue,
        count(
            case
                when
                    {{ dbt.dateadd('day', var('purchase_propensity_days'), 'snapshots.snapshot_date') }}
                    >= purchase_days.purchase_date
                    then 1
            end
        ) as future_window_purchases
    from snapshots
    inner join purchase_days
        on
            snapshots.snapshot_date < purchase_days.purchase_date
            and {{ dbt.dateadd('day', 'snapshots.horizon_days', 'snapshots.snapshot_date') }}
            >= purchase_days.purchase_date
    where snapshots.snapshot_name != 'full'
    group by snapshots.snapshot_name, purchase_days.customer_id
),

final as (
    select
        summarized.snapshot_name,
        cast(summarized.snapshot_date as date) as snapshot_date,
        summarized.horizon_days,
        summarized.customer_id,
        summarized.first_purchase_date,
        cast(summarized.frequency as integer) as frequency,
        cast({{ dbt.datediff('summarized.first_purchase_date', 'summarized.last_purchase_date', 'day') }} as integer)
            as recency_days,
        cast({{ dbt.datediff('summarized.first_purchase_date', 'summarized.snapshot_date', 'day') }} as integer)
            as age_days,
        cast(summarized.monetary_value as {{ type_double() }}) as monetary_value,
        cast(summarized.total_revenue as {{ type_double() }}) as total_revenue,
        {%- for month in range(1, var('clv_sequence_months') + 1) %}
            cast(summarized.spend_month_{{ month }} as {{ type_double() }}) as spend_month_{{ month }},
        {%- endfor %}
        case when summarized.snapshot_name != 'full' then cast(coalesce(future.future_purchases, 0) as integer) end
            as future_purchases,
        case
            when summarized.snapshot_name != 'full'
                then cast(coalesce(future.future_revenue, 0) as {{ type_double() }})
        end as future_revenue,
        case
            when summarized.snapshot_name != 'full' then cast(coalesce(future.future_window_purchases, 0) as integer)
        end as future_window_purchases
    from summarized
    left join future
        on summarized.snapshot_name = future.snapshot_name and summarized.customer_id = future.customer_id
)

select * from final
