-- What each campaign did, measured: for every campaign and cohort (the as-of date its entrants were queued)
-- whose campaign_outcome_days have passed, the entrants sent the campaign against its control group over those
-- days: retention (any order or web visit: no churn), orders and revenue per customer. The uplift is the
-- difference of the two means, with a normal-approximation interval (Welch's standard error, the
-- campaign_confidence_z var) and both groups' sizes; for retention, beside it the uplift the next_best_action_rules
-- seed assumes for the campaign's action on the same scale: the seed's share of churners kept times the control
-- group's churn rate. Sums are exact (integers and decimals), so the figures do not depend on
-- the order rows are added in.
{%- set outcome_days = var('campaign_outcome_days') %}
{%- set z = var('campaign_confidence_z') %}
{%- set metrics = {'retention': 'retained', 'orders': 'orders', 'revenue': 'revenue'} %}
with

outbox as (
    select * from {{ ref('campaign_outbox') }}
),

daily_activity as (
    select * from {{ ref('int_customer_daily_activity') }}
),

rules as (
    select * from {{ ref('next_best_action_rules') }}
),

as_of as (
    select * from {{ ref('int_as_of_date') }}
),

-- The seed's retention uplift of each action (its first rule).
assumed as (
    select
        next_best_action,
        retention_uplift
    from (
        select
            next_best_action,
            retention_uplift,
            row_number() over (partition by next_best_action order by rule_priority) as rule_rank
        from rules
    ) as ranked_rules
    where rule_rank = 1
),

closed as (
    select outbox.*
    from outbox
    cross join as_of
    where {{ dbt.dateadd('day', outcome_days, 'outbox.as_of_date') }} <= as_of.as_of_date
),

outcomes as (
    select
        closed.campaign_id,
        closed.campaign_action,
        closed.as_of_date as cohort_date,
        closed.customer_id,
        closed.is_control,
        case when count(daily_activity.activity_date) > 0 then 1 else 0 end as retained,
        coalesce(sum(daily_activity.orders), 0) as orders,
        cast(coalesce(sum(daily_activity.revenue), 0) as decimal(18, 2)) as revenue
    from closed
    left join daily_activity
        on
            closed.customer_id = daily_activity.customer_id
            and closed.as_of_date < daily_activity.activity_date
            and {{ dbt.dateadd('day', outcome_days, 'closed.as_of_date') }} >= daily_activity.activity_date
    group by closed.campaign_id, closed.campaign_action, closed.as_of_date, closed.customer_id, closed.is_control
),

arms as (
    select
        campaign_id,
        campaign_action,
        cohort_date,
        is_control,
        {%- for metric, column in metrics.items() %}
            cast(sum({{ column }}) as {{ type_double() }}) as {{ metric }}_sum,
            cast(sum(cast({{ column }} as decimal(38, 4)) * {{ column }}) as {{ type_double() }}) as {{ metric }}_squares,
        {%- endfor %}
        count(*) as customers
    from outcomes
    group by campaign_id, campaign_action, cohort_date, is_control
),

moments as (
    select
        campaign_id,
        campaign_action,
        cohort_date,
        is_control,
        {%- for metric in metrics %}
            {{ metric }}_sum / customers as {{ metric }}_mean,
            ({{ metric }}_squares - {{ metric }}_sum * {{ metric }}_sum / customers) / nullif(customers - 1, 0)
                as {{ metric }}_variance,
        {%- endfor %}
        customers
    from arms
),

compared as (
    {%- for metric in metrics %}
        select
            treated.campaign_id,
            treated.campaign_action,
            treated.cohort_date,
            '{{ metric }}' as metric_name,
            treated.customers as treated_customers,
            control.customers as control_customers,
            treated.{{ metric }}_mean as treated_mean,
            control.{{ metric }}_mean as control_mean,
            treated.{{ metric }}_mean - control.{{ metric }}_mean as uplift,
            sqrt(
                treated.{{ metric }}_variance / treated.customers + control.{{ metric }}_variance / control.customers
            ) as standard_error
        from moments as treated
        inner join moments as control
            on
                treated.campaign_id = control.campaign_id
                and treated.cohort_date = control.cohort_date
                and not treated.is_control
                and control.is_control
        {%- if not loop.last %}
            union all
        {%- endif %}
    {%- endfor %}
),

final as (
    select
        cast(compared.campaign_id as {{ dbt.type_string() }}) as campaign_id,
        cast(compared.campaign_action as {{ dbt.type_string() }}) as campaign_action,
        cast(compared.cohort_date as date) as cohort_date,
        cast(compared.metric_name as {{ dbt.type_string() }}) as metric_name,
        cast(compared.treated_customers as integer) as treated_customers,
        cast(compared.control_customers as integer) as control_customers,
        cast(compared.treated_mean as {{ type_double() }}) as treated_mean,
        cast(compared.control_mean as {{ type_double() }}) as control_mean,
        cast(compared.uplift as {{ type_double() }}) as uplift,
        cast(compared.uplift - {{ z }} * compared.standard_error as {{ type_double() }}) as uplift_lower,
        cast(compared.uplift + {{ z }} * compared.standard_error as {{ type_double() }}) as uplift_upper,
        cast(
            case
                when compared.metric_name = 'retention'
                    then assumed.retention_uplift * (1 - compared.control_mean)
            end as {{ type_double() }}
        )
            as assumed_uplift,
        as_of.as_of_date
    from compared
    cross join as_of
    left join assumed on compared.campaign_action = assumed.next_best_action
)

select * from final
