-- One row per web session of an identified customer, up to the as-of date.
-- Incremental: a customer's sessions are a function of their session days alone, so a run deletes and recomputes
-- the sessions of the customers in customers_with_new_sessions.
-- The incremental run reads the validated events (customers_with_new_sessions):
-- depends_on: {{ ref('int_web_events_validated') }}
{{ config(
    materialized='incremental',
    incremental_strategy='append',
    on_schema_change='fail',
    pre_hook="{% if is_incremental() %}{{ delete_rows(
        'select distinct changed.customer_id from (' ~ customers_with_new_sessions() ~ ') as changed', ['customer_id']
    ) }}{% endif %}",
) }}
with

session_days as (
    select * from {{ ref('int_web_events_rolled_up_to_session_days') }}
    {% if is_incremental() -%}
        where customer_id in ({{ customers_with_new_sessions() }})
    {%- endif %}
),

as_of as (
    select * from {{ ref('int_as_of_date') }}
),

sessions as (
    select
        session_days.customer_id,
        session_days.session_number,
        min(session_days.first_event_at) as started_at,
        max(session_days.ended_at) as ended_at,
        sum(session_days.events) as events,
        sum(session_days.pages_viewed) as pages_viewed,
        sum(session_days.features_clicked) as features_clicked,
        sum(session_days.usage_seconds) / cast(60 as {{ type_double() }}) as usage_minutes
    from session_days
    cross join as_of
    where session_days.activity_date <= as_of.as_of_date
    group by session_days.customer_id, session_days.session_number
),

final as (
    select
        {{ dbt.concat(['customer_id', "'-'", 'cast(session_number as ' ~ dbt.type_string() ~ ')']) }} as session_id,
        customer_id,
        started_at,
        ended_at,
        cast(started_at as date) as session_date,
        {{ dbt.datediff('started_at', 'ended_at', 'second') }} / cast(60 as {{ type_double() }}) as session_minutes,
        cast(events as integer) as events,
        cast(pages_viewed as integer) as pages_viewed,
        cast(features_clicked as integer) as features_clicked,
        usage_minutes,
        cast({{ dbt.current_timestamp() }} as {{ dbt.type_timestamp() }}) as validated_at
    from sessions
)

select * from final
