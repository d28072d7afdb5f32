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

-- Each value's decile and rank (the rows below it, plus one) in one sort: a bin's share is then the gap
-- between its edge's rank and the next one's, with no join of every value back to the bins.
deciles as (
    select
        model_name,
        variable_name,
        observed_value,
        ntile(10) over (partition by model_name, variable_name order by observed_value) as decile,
        rank() over (partition by model_name, variable_name order by observed_value) as value_rank,
        count(*) over (partition by model_name, variable_name) as values_count
    from monitored_values
),

edges as (
    select distinct
        model_name,
        variable_name,
        values_count,
        min(observed_value) over (partition by model_name, variable_name, decile) as lower_edge,
        min(value_rank) over (partition by model_name, variable_name, decile) as edge_rank
    from deciles
),

bins as (
    select
        model_name,
        variable_name,
        row_number() over (partition by model_name, variable_name order by lower_edge) as bin_number,
        lower_edge,
        lead(lower_edge) over (partition by model_name, variable_name order by lower_edge) as upper_edge,
        (
            coalesce(
                lead(edge_rank) over (partition by model_name, variable_name order by lower_edge), values_count + 1
            )
            - edge_rank
        ) * 1.0 / values_count as bin_share
    from edges
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
        cast(bins.bin_share as {{ type_double() }}) as bin_share
    from bins
    cross join as_of
)

select * from final
