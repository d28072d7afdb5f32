{#
  The point-in-time feature marts (customer_churn_features, customer_value_features: a row per customer and
  cutoff) are incremental, so that a daily run recomputes the rows whose inputs may have changed since the mart
  last ran and keeps the rest; the table equals a full refresh (but for validated_at, when a run wrote the row).
  A row reads the customer's activity up to its cutoff and in the label windows after it, the as-of date (is a
  window complete, has the last activity turned into a churn day) and the CRM record. A run recomputes, by
  delete (pre-hook) and insert: every row of the cutoffs in refreshed_cutoffs, and the rows the changed activity
  reaches (each mart says which); it rewrites in place the CRM attributes that differ (update_crm_attributes).
#}

{# The mart's state before this run, read where the model compiles and again where its hooks render, both before
   its pre-hook deletes: the latest validated_at (the last run), the latest cutoff (the last as-of date) and the
   cutoffs held. none on a full refresh. #}
{% macro feature_mart_state() -%}
    {%- if not (execute and is_incremental()) %}
        {{- return(none) }}
    {%- endif %}
    {%- set as_text = 'as ' ~ dbt.type_string() ~ ')' %}
    {%- set latest = run_query(
        'select cast(max(validated_at) ' ~ as_text ~ ', cast(max(cutoff_date) ' ~ as_text ~ ' from ' ~ this
    ).rows[0] %}
    {%- set held = run_query('select distinct cast(cutoff_date ' ~ as_text ~ ' from ' ~ this).columns[0].values() %}
    {{- return({'since': latest[0], 'last_as_of': latest[1], 'cutoffs': held | list}) }}
{%- endmacro %}

{# The cutoffs of `cutoffs` (a relation) whose every row this run recomputes: all on a full refresh or when the
   as-of date went back; else the last as-of date and any later, those the mart does not hold, those whose label
   window of any of `label_days` completes by the new as-of date, and every one from `since_date` (a SQL date
   expression) on. #}
{% macro refreshed_cutoffs(state, cutoffs, label_days, since_date='null') -%}
    select cutoffs.cutoff_date
    from {{ cutoffs }} as cutoffs
    cross join {{ ref('int_as_of_date') }} as as_of
    {%- if state and state.last_as_of %}
        {%- set last_as_of = "cast('" ~ state.last_as_of ~ "' as date)" %}
    where
        cutoffs.cutoff_date >= {{ last_as_of }}
        or as_of.as_of_date < {{ last_as_of }}
        or cutoffs.cutoff_date not in (
            {%- for held in state.cutoffs %}
                cast('{{ held }}' as date){{ ',' if not loop.last }}
            {%- endfor %}
        )
        {%- for days in label_days %}
            or (
                {{ dbt.dateadd('day', days, 'cutoffs.cutoff_date') }} > {{ last_as_of }}
                and {{ dbt.dateadd('day', days, 'cutoffs.cutoff_date') }} <= as_of.as_of_date
            )
        {%- endfor %}
        or cutoffs.cutoff_date >= {{ since_date }}
    {%- endif %}
{%- endmacro %}

{# The pre-hook's delete: the rows of cutoffs no longer in `cutoffs`, of the refreshed cutoffs (`refreshed`, a
   query) and of the customers in `customers` (a query: those the changed activity reaches, every cutoff). #}
{% macro delete_refreshed_rows(cutoffs, refreshed, customers='select null') -%}
    {%- set stale %}
        select held.customer_id, held.cutoff_date
        from {{ this }} as held
        where
            held.cutoff_date not in (select cutoffs.cutoff_date from {{ cutoffs }} as cutoffs)
            or held.cutoff_date in ({{ refreshed }})
            or held.customer_id in ({{ customers }})
    {%- endset %}
    {{- delete_rows(stale, ['customer_id', 'cutoff_date']) }}
{%- endmacro %}

{# The pre-hook's update of the CRM attributes (`attributes`, 'unknown' when missing) and tenure_days of the rows
   whose customer's current record differs. #}
{% macro update_crm_attributes(attributes) -%}
    {%- set tenure = dbt.datediff('crm.signup_date', 'stored.cutoff_date', 'day') %}
    merge into {{ this }} as stored
    using {{ ref('stg_crm__customers') }} as crm
        on
            stored.customer_id = crm.customer_id
            and (
                {%- for attribute in attributes %}
                    stored.{{ attribute }} != coalesce(crm.{{ attribute }}, 'unknown') or
                {%- endfor %}
                stored.tenure_days != {{ tenure }}
            )
    when matched then update set
        {%- for attribute in attributes %}
            {{ attribute }} = coalesce(crm.{{ attribute }}, 'unknown'),
        {%- endfor %}
        tenure_days = {{ tenure }}
{%- endmacro %}

{# customer_churn_features' customers recomputed at every cutoff (no feature ranks customers against each other):
   those of the rows of int_orders_validated or int_web_events_validated written since the mart's last run, with
   activity after its last as-of date, or whose last activity turns into a churn day by the new as-of date (no
   activity for `horizon` days after it). None on a full refresh: every cutoff is refreshed. #}
{% macro churn_refreshed_customers(state, horizon) -%}
    {%- if state and state.since %}
        {%- set last_as_of = "cast('" ~ state.last_as_of ~ "' as date)" %}
    {{ customers_validated_since_last_run(ref('int_orders_validated')) }}
    union
    {{ customers_validated_since_last_run(ref('int_web_events_validated')) }}
    union
    select daily_activity.customer_id
    from {{ ref('int_customer_daily_activity') }} as daily_activity
    cross join {{ ref('int_as_of_date') }} as as_of
    group by daily_activity.customer_id, as_of.as_of_date
    having
        max(daily_activity.activity_date) > {{ last_as_of }}
        or (
            {{ dbt.dateadd('day', horizon, 'max(daily_activity.activity_date)') }} > {{ last_as_of }}
            and {{ dbt.dateadd('day', horizon, 'max(daily_activity.activity_date)') }} <= as_of.as_of_date
        )
    {%- else %}
    select null as customer_id
    {%- endif %}
{%- endmacro %}

{# customer_value_features' refreshed cutoffs: its label windows' lengths, and value_refreshed_since. #}
{% macro value_refreshed_cutoffs(state) -%}
    {%- set settings = var('value_forecast') %}
    {%- set label_days = [settings['short_days'], settings['long_days'], var('engagement_window_days')] %}
    {{- refreshed_cutoffs(
        state, ref('int_value_forecast_cutoffs'), label_days, value_refreshed_since(state, label_days | max)
    ) }}
{%- endmacro %}

{# customer_value_features' earliest cutoff to recompute for the changed activity (its scores rank the customers
   within a cutoff, so a change recomputes whole cutoffs): `lookahead` days (its longest label window) before the
   earliest date of the rows of int_orders_validated or int_web_events_validated written since the mart's last
   run, or the earliest signup date, old or new, of a customer whose signup date changed or who joined the CRM
   with a signup date the mart has cutoffs for; every cutoff when the first identified visits arrive. A SQL date
   expression, null when nothing changed. #}
{% macro value_refreshed_since(state, lookahead) -%}
    {%- if state and state.since %}
        {%- set stored_signup = dbt.dateadd('day', '-stored.tenure_days', 'stored.cutoff_date') %}
        {%- set crm_signup = run_query(
            'select cast(min(case when held.signup_date < crm.signup_date then held.signup_date'
            ~ ' else crm.signup_date end) as ' ~ dbt.type_string() ~ ')'
            ~ ' from ' ~ ref('stg_crm__customers') ~ ' as crm left join ('
            ~ ' select stored.customer_id, min(' ~ stored_signup ~ ') as signup_date from ' ~ this ~ ' as stored'
            ~ ' group by stored.customer_id) as held on crm.customer_id = held.customer_id'
            ~ " where crm.signup_date <= cast('" ~ state.last_as_of ~ "' as date)"
            ~ ' and (held.customer_id is null or held.signup_date != crm.signup_date)'
        ).columns[0].values()[0] %}
    (
        select min(changed.changed_date)
        from (
            select {{ dbt.dateadd('day', -lookahead, 'min(orders.order_date)') }} as changed_date
            from {{ ref('int_orders_validated') }} as orders
            where orders.validated_at > '{{ state.since }}'
            union all
            select {{ dbt.dateadd('day', -lookahead, 'min(events.event_date)') }} as changed_date
            from {{ ref('int_web_events_validated') }} as events
            where events.customer_id is not null and events.validated_at > '{{ state.since }}'
            union all
            -- The first identified visits: every cutoff's value score stops ranking order recency alone. One
            -- row of each kind answers (validated_at's zone maps skip the row groups outside either range).
            select cast('0001-01-01' as date) as changed_date
            from (
                select events.event_id
                from {{ ref('int_web_events_validated') }} as events
                where
                    events.customer_id is not null
                    and events.rejection_reason is null
                    and events.validated_at > '{{ state.since }}'
                limit 1
            ) as new_visit
            where not exists (
                select events.event_id
                from {{ ref('int_web_events_validated') }} as events
                where
                    events.customer_id is not null
                    and events.rejection_reason is null
                    and events.validated_at <= '{{ state.since }}'
            )
            {%- if crm_signup %}
                union all
                select cast('{{ crm_signup }}' as date) as changed_date
            {%- endif %}
        ) as changed
    )
    {%- else %}
    null
    {%- endif %}
{%- endmacro %}
