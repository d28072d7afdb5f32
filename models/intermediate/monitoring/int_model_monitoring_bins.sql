-- History of the decile bins of every monitored variable, one set per run: the reference the next
-- run's population stability index is measured against. Incremental: each run appends its own bins.
-- A bin holds lower_edge <= value < upper_edge; the first bin is open below and the last above, so a
-- later run's values always land in one. Ties can merge deciles, leaving fewer than ten bins.
{{ config(materialized='incremental', unique_key=['invocation_id', 'model_name', 'variable', 'bin_number']) }}
with

monitored_values as (
    select * from {{ ref('int_model_monitoring_values') }}
),

as_of as (
    select * from {{ ref('int_as_of_date') }}
),

deciles as (
    select
        model_name,
        variable,
        value,
        ntile(10) over (partition by model_name, variable order by value) as decile
    from monitored_values
),

edges as (
    select distinct
        model_name,
        variable,
        min(value) over (partition by model_name, variable, decile) as lower_edge
    from deciles
),

bins as (
    select
        model_name,
        variable,
        row_number() over (partition by model_name, variable order by lower_edge) as bin_number,
        lower_edge,
        lead(lower_edge) over (partition by model_name, variable order by lower_edge) as upper_edge
    from edges
),

shares as (
    select
        bins.model_name,
        bins.variable,
        bins.bin_number,
        count(monitored_values.value) * 1.0
        / sum(count(monitored_values.value)) over (partition by bins.model_name, bins.variable) as share
    from bins
    left join monitored_values
        on
            bins.model_name = monitored_values.model_name
            and bins.variable = monitored_values.variable
            and (bins.bin_number = 1 or monitored_values.value >= bins.lower_edge)
            and (bins.upper_edge is null or monitored_values.value < bins.upper_edge)
    group by bins.model_name, bins.variable, bins.bin_number
),

final as (
    select
        '{{ invocation_id }}' as invocation_id,
        cast('{{ run_started_at.strftime("%Y-%m-%d %H:%M:%S") }}' as {{ dbt.type_timestamp() }}) as run_started_at,
        as_of.as_of_date,
        bins.model_name,
        bins.variable,
        cast(bins.bin_number as integer) as bin_number,
        case when bins.bin_number > 1 then bins.lower_edge end as lower_edge,
        bins.upper_edge,
        cast(shares.share as {{ dbt.type_float() }}) as share
    from bins
    cross join as_of
    inner join shares
        on
            bins.model_name = shares.model_name
            and bins.variable = shares.variable
            and bins.bin_number = shares.bin_number
)

select * from final
