-- Every campaign's entrants, run after run: the customers who match its audience now (the campaigns var) and
-- were not queued for it in its last cooldown_days, at most budget / cost_per_contact of them, highest 12-month
-- CLV first (ties by customer id). A deterministic share of them (campaign_control_share, by a stable hash of
-- campaign and customer) is the control group: queued and recorded, never sent. Incremental, and a full refresh
-- keeps it: the outbox is the record of who was contacted, which the cool-down and the uplift read. A rerun on
-- the same as-of date queues no one again. idempotency_key names the entry for the systems that receive it.
{{ config(
    materialized='incremental',
    unique_key=['campaign_id', 'customer_id', 'as_of_date'],
    full_refresh=false,
    on_schema_change='append_new_columns',
) }}
with

scores as (
    select * from {{ ref('customer_scores') }}
),

{% if is_incremental() %}
queued as (
    select * from {{ this }}
),
{% endif %}

candidates as (
    {%- for campaign in var('campaigns') %}
        select
            '{{ campaign["campaign_id"] }}' as campaign_id,
            '{{ campaign["action"] }}' as campaign_action,
            '{{ campaign["channel"] }}' as channel,
            {{ campaign['cooldown_days'] }} as cooldown_days,
            {{ (campaign['budget'] / campaign['cost_per_contact']) | int }} as max_entrants,
            {{ campaign['cost_per_contact'] }} as cost_per_contact,
            scores.*
        from scores
        where {{ campaign['audience'] }}
        {%- if not loop.last %}
            union all
        {%- endif %}
    {%- endfor %}
),

-- Customers queued for the same campaign within its cool-down (this run's own as-of date included: a rerun
-- queues no one twice).
cooling as (
    {%- if is_incremental() %}
        select distinct
            candidates.campaign_id,
            candidates.customer_id
        from candidates
        inner join queued
            on
                candidates.campaign_id = queued.campaign_id
                and candidates.customer_id = queued.customer_id
                and {{ dbt.dateadd('day', '-candidates.cooldown_days', 'candidates.as_of_date') }} < queued.as_of_date
    {%- else %}
        select
            campaign_id,
            customer_id
        from candidates
        where false
    {%- endif %}
),

entrants as (
    select
        candidates.*,
        row_number() over (
            partition by candidates.campaign_id order by candidates.clv_12m desc nulls last, candidates.customer_id asc
        ) as entrant_rank
    from candidates
    left join cooling
        on candidates.campaign_id = cooling.campaign_id and candidates.customer_id = cooling.customer_id
    where cooling.customer_id is null
),

assigned as (
    select
        *,
        {{ stable_fraction(dbt.concat(['campaign_id', "'|'", 'customer_id'])) }}
        < {{ var('campaign_control_share') }} as is_control,
        {{ dbt.hash(dbt.concat(['campaign_id', "'|'", 'customer_id', "'|'", 'cast(as_of_date as ' ~ dbt.type_string() ~ ')'])) }}
            as idempotency_key,
        '{{ run_id() }}' as invocation_id
    from entrants
    where entrant_rank <= max_entrants
),

final as (
    select {{ cast_to_contract('assigned') }}
    from assigned
)

select * from final
