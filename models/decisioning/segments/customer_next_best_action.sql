-- One next best action per buying customer: the first rule (by priority) of next_best_action_rules
-- that matches the customer's segment, risk tier and value band ('*' matches anything). The expected
-- value saved is the 12-month CLV kept (churn probability x retention uplift) plus the CLV added
-- (upsell uplift). The budget (next_best_action_budget) funds actions by expected net value, highest
-- first, while the cumulative cost fits; actions that cost more than they return are never funded. The
-- recommended contact date is the last day before the survival model expects the customer's probability of not
-- having churned to fall to intervention_survival. With use_measured_uplift, an action a campaign was measured
-- for takes the measured retention uplift (campaign_uplift as the previous run left it: it measures the campaigns
-- these actions feed) in place of the seed's: the share of the control group's churners the campaign kept.
with

segments as (
    select * from {{ ref('customer_segments') }}
),

seed_rules as (
    select * from {{ ref('next_best_action_rules') }}
),

{%- if var('use_measured_uplift') %}

-- Retention of sent and held-out entrants pooled over the measured cohorts, per action.
measured_retention as (
    select
        campaign_action,
        sum(treated_mean * treated_customers) / sum(treated_customers) as treated_retention,
        sum(control_mean * control_customers) / sum(control_customers) as control_retention
    from {{ previous_run('campaign_uplift', {
        'campaign_action': dbt.type_string(), 'metric_name': dbt.type_string(),
        'treated_mean': type_double(), 'treated_customers': 'integer',
        'control_mean': type_double(), 'control_customers': 'integer'}) }} as previous_uplift
    where metric_name = 'retention'
    group by campaign_action
),

measured as (
    select
        campaign_action,
        -- A control group that kept everyone leaves nothing to measure a share of: the seed's stands.
        case
            when control_retention < 1
                then greatest((treated_retention - control_retention) / (1 - control_retention), 0)
        end as retention_uplift
    from measured_retention
),
{%- endif %}

rules as (
    select
        seed_rules.rule_priority,
        seed_rules.segment_name,
        seed_rules.risk_tier,
        seed_rules.value_band,
        seed_rules.next_best_action,
        seed_rules.action_cost,
        seed_rules.upsell_uplift,
        seed_rules.rationale,
        {%- if var('use_measured_uplift') %}
            coalesce(measured.retention_uplift, seed_rules.retention_uplift) as retention_uplift,
            case when measured.retention_uplift is null then 'assumed' else 'measured' end as uplift_source
        from seed_rules
        left join measured on seed_rules.next_best_action = measured.campaign_action
        {%- else %}
            seed_rules.retention_uplift,
            'assumed' as uplift_source
        from seed_rules
        {%- endif %}
),

churn_risk as (
    select * from {{ ref('customer_churn_risk') }}
),

matches as (
    select
        segments.customer_id,
        segments.segment_name,
        segments.risk_tier,
        segments.value_band,
        segments.churn_probability,
        segments.clv_12m,
        segments.as_of_date,
        rules.rule_priority,
        rules.next_best_action,
        rules.action_cost,
        rules.rationale,
        rules.retention_uplift,
        rules.uplift_source,
        segments.clv_12m * (segments.churn_probability * rules.retention_uplift + rules.upsell_uplift)
            as expected_value_saved,
        row_number() over (partition by segments.customer_id order by rules.rule_priority) as match_rank
    from segments
    inner join rules
        on
            rules.segment_name in ('*', segments.segment_name)
            and rules.risk_tier in ('*', segments.risk_tier)
            and rules.value_band in ('*', segments.value_band)
),

chosen as (
    select
        *,
        expected_value_saved - action_cost as expected_net_value
    from matches
    where match_rank = 1
),

ranked as (
    select
        *,
        -- Positive net values sort first, so the running cost over them counts only funded candidates.
        case
            when expected_net_value > 0 then
                sum(action_cost) over (
                    order by expected_net_value desc, customer_id asc
                    rows between unbounded preceding and current row
                )
        end as cumulative_cost
    from chosen
),

-- When to act: before the survival model's probability of not having churned falls to intervention_survival;
-- a lapsed buyer (no churn score: already past it) now.
timed as (
    select
        ranked.*,
        case
            when ranked.risk_tier = 'lapsed' then ranked.as_of_date
            else
                {{ dbt.dateadd(
                    'day', 'cast(floor(churn_risk.days_to_contact) as integer)', 'ranked.as_of_date'
                ) }}
        end as recommended_contact_date
    from ranked
    left join churn_risk on ranked.customer_id = churn_risk.customer_id
),

final as (
    select
        cast(customer_id as {{ dbt.type_string() }}) as customer_id,
        cast(segment_name as {{ dbt.type_string() }}) as segment_name,
        cast(risk_tier as {{ dbt.type_string() }}) as risk_tier,
        cast(value_band as {{ dbt.type_string() }}) as value_band,
        cast(next_best_action as {{ dbt.type_string() }}) as next_best_action,
        cast(rationale as {{ dbt.type_string() }}) as rationale,
        cast(rule_priority as integer) as rule_priority,
        cast(churn_probability as {{ type_double() }}) as churn_probability,
        cast(clv_12m as {{ type_double() }}) as clv_12m,
        cast(action_cost as {{ type_double() }}) as action_cost,
        cast(retention_uplift as {{ type_double() }}) as retention_uplift,
        cast(uplift_source as {{ dbt.type_string() }}) as uplift_source,
        cast(expected_value_saved as {{ type_double() }}) as expected_value_saved,
        cast(expected_net_value as {{ type_double() }}) as expected_net_value,
        cast(cumulative_cost as {{ type_double() }}) as cumulative_cost,
        coalesce(cumulative_cost <= {{ var('next_best_action_budget') }}, false) as is_funded,
        cast(recommended_contact_date as date) as recommended_contact_date,
        cast(as_of_date as date) as as_of_date
    from timed
)

select * from final
