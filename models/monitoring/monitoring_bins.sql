-- History of the decile bins of every monitored variable, one set per run: the reference the next
-- run's population stability index is measured against. Incremental: each run appends its own bins.
-- A bin holds lower_edge <= observed_value < upper_edge; the first bin is open below and the last above, so a
-- later run's values always land in one. Ties can merge deciles, leaving fewer than ten bins.
{{ config(materialized='incremental', unique_key=['invocation_id', 'model_name', 'variable_name', 'bin_number']) }}
with

monitored_values as (
    select * from {{ ref('monitored_values') }}
),

as_of as (
    select * from {{ ref('int_as_of_date') }}
),

deciles as (
    select
        model_name,
        variable_name,
        observed_value,
        ntile(10) over (partition by model_name, variable_name order by observed_value) as decile
    from monitored_values
),

edges as (
    select distinct
        model_name,
        variable_name,
        min(observed_value) over (partition by model_name, variable_name, decile) as lower_edge
    from deciles
),

bins as (
    select
        model_name,
        variable_name,
        row_number() over (partition by model_name, variable_name order by lower_edge) as bin_number,
        lower_edge,
        lead(lower_edge) over (partition by model_name, variable_name order by lower_edge) as upper_edge
    from edges
),

shares as (
    select
        bins.model_name,
        bins.variable_name,
        bins.bin_number,
        count(monitored_values.observed_value) * 1.0
        / sum(count(monitored_values.observed_value)) over (partition by bins.model_name, bins.variable_name) as bin_share
    from bins
    left join monitored_values
        on
            bins.model_name = monitored_values.model_name
            and bins.variable_name = monitored_values.variable_name
            and (bins.bin_number = 1 or bins.lower_edge <= monitored_values.observed_value)  -- noqa: ST09
            and (bins.upper_edge is null or bins.upper_edge > monitored_values.observed_value)
    group by bins.model_name, bins.variable_name, bins.bin_number
),

final as (
    select
        '{{ run_id() }}' as invocation_id,
        cast('{{ run_started_at.strftime("%Y-%m-%d %H:%M:%S") }}' as {{ dbt.type_timestamp() }}) as run_started_at,
        as_of.as_of_date,
        bins.model_name,
        bins.variable_name,
        cast(bins.bin_number as integer) as bin_number,
        case when bins.bin_number > 1 then bins.lower_edge end as lower_edge,
        bins.upper_edge,
        cast(shares.bin_share as {{ type_double() }}) as bin_share
    from bins
    cross join as_of
    inner join shares
        on
            bins.model_name = shares.model_name
            and bins.variable_name = shares.variable_name
            and bins.bin_number = shares.bin_number
)

select * from final
