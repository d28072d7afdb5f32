-- Population stability index (PSI) of every model input and score between this run and the previous
-- one: this run's values over the previous run's decile bins, PSI = sum((current - reference) x
-- ln(current / reference)), shares floored at 0.0001 so an empty bin stays finite. A variable at or
-- over psi_thresholds.drift is drifted, and its model is flagged to be retrained on the next run.
{%- set thresholds = var('psi_thresholds') %}
with

monitored_values as (
    select * from {{ ref('monitored_values') }}
),

history as (
    select * from {{ ref('monitoring_bins') }}
),

as_of as (
    select * from {{ ref('int_as_of_date') }}
),

reference_bins as (
    select history.*
    from history
    where
        history.invocation_id != '{{ run_id() }}'
        and history.run_started_at = (
            select max(earlier.run_started_at) from history as earlier
            where earlier.invocation_id != '{{ run_id() }}'
        )
),

current_shares as (
    select
        reference_bins.model_name,
        reference_bins.variable_name,
        reference_bins.bin_number,
        reference_bins.bin_share as reference_share,
        count(monitored_values.observed_value) * 1.0
        / nullif(sum(count(monitored_values.observed_value)) over (
            partition by reference_bins.model_name, reference_bins.variable_name
        ), 0) as current_share
    from reference_bins
    left join monitored_values
        on
            reference_bins.model_name = monitored_values.model_name
            and reference_bins.variable_name = monitored_values.variable_name
            and (reference_bins.lower_edge is null or reference_bins.lower_edge <= monitored_values.observed_value)  -- noqa: ST09
            and (reference_bins.upper_edge is null or reference_bins.upper_edge > monitored_values.observed_value)
    group by reference_bins.model_name, reference_bins.variable_name, reference_bins.bin_number, reference_bins.bin_share
),

psi as (
    select
        model_name,
        variable_name,
        {{ exact_sum(
            '(greatest(coalesce(current_share, 0), 0.0001) - greatest(reference_share, 0.0001))
            * ln(greatest(coalesce(current_share, 0), 0.0001) / greatest(reference_share, 0.0001))'
        ) }} as population_stability_index
    from current_shares
    group by model_name, variable_name
),

current_variables as (
    select
        model_name,
        variable_name,
        count(*) as current_rows
    from monitored_values
    group by model_name, variable_name
),

reference_run as (
    select distinct
        run_started_at as reference_run_started_at,
        as_of_date as reference_as_of_date
    from reference_bins
),

checked as (
    select
        current_variables.model_name,
        current_variables.variable_name,
        current_variables.current_rows,
        psi.population_stability_index,
        case
            when psi.population_stability_index is null then 'no_reference'
            when psi.population_stability_index >= {{ thresholds['drift'] }} then 'drift'
            when psi.population_stability_index >= {{ thresholds['warning'] }} then 'warning'
            else 'stable'
        end as drift_status
    from current_variables
    left join psi
        on
            current_variables.model_name = psi.model_name
            and current_variables.variable_name = psi.variable_name
),

final as (
    select
        cast(checked.model_name as {{ dbt.type_string() }}) as model_name,
        cast(checked.variable_name as {{ dbt.type_string() }}) as variable_name,
        cast(checked.current_rows as integer) as current_rows,
        cast(checked.population_stability_index as {{ type_double() }}) as population_stability_index,
        cast(checked.drift_status as {{ dbt.type_string() }}) as drift_status,
        checked.drift_status = 'drift' as is_drifted,
        max(case when checked.drift_status = 'drift' then 1 else 0 end) over (partition by checked.model_name) = 1
            as retrain_on_next_run,
        as_of.as_of_date,
        reference_run.reference_as_of_date,
        reference_run.reference_run_started_at
    from checked
    cross join as_of
    left join reference_run on 1 = 1
)

select * from final
